// The import graph of src/ and the two rules CONTRIBUTING.md's map of the tree states: no
// circle of imports, and every import runs down the layers below. Every kind of import counts:
// static, `import type`, `typeof import()` and dynamic `import()`, since a reader follows them all.
//
//   node scripts/imports.mjs        → each folder and what it imports; exits 1 on a circle or an import that runs up
//
//   import { graph, circles, upward } from './scripts/imports.mjs';

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * The folders of src/, lowest first: a file imports files of its own folder and of folders
 * below its own, never beside or above it. The files directly in src/ stand above them all.
 * `protocol/` (the wire rules both halves share) is the ground once it exists; `server/` (Node
 * only) is no layer of the browser's: nothing outside it may import it.
 */
export const LAYERS = [['protocol'], ['frames'], ['connection'], ['requests'], ['sharing', 'declarative', 'element']];
const TOP = LAYERS.length;

/** The layer of a file (a path relative to src/), or undefined for a folder the map does not name. */
export function layerOf(file) {
  const parts = file.split('/');
  if (parts.length === 1) return TOP;
  const index = LAYERS.findIndex((layer) => layer.includes(parts[0]));
  return index === -1 ? undefined : index;
}

const SPECIFIERS = [
  // import x from '…', import type { x } from '…', export { x } from '…', export * from '…'
  { kind: 'static', pattern: /^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm, type: 2, spec: 3 },
  // import '…' (for its effects)
  { kind: 'static', pattern: /^\s*import\s*['"]([^'"]+)['"]/gm, spec: 1 },
  // typeof import('…') in a type, before the plain import('…') below takes it
  { kind: 'type', pattern: /\btypeof\s+import\(\s*['"]([^'"]+)['"]\s*\)/g, spec: 1 },
  // import('…'), loaded on demand
  { kind: 'dynamic', pattern: /(?<!typeof\s+)\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, spec: 1 },
];

function sources(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full, base);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

/** Every file of `src` (relative to it) and its imports of other files of `src`: `{ to, kind }`, kind static, type or dynamic. */
export function graph(src = path.join(REPO, 'src')) {
  const files = sources(src);
  const known = new Set(files);
  const edges = new Map();
  for (const file of files) {
    const text = readFileSync(path.join(src, file), 'utf8');
    const found = [];
    for (const { kind, pattern, type, spec } of SPECIFIERS) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[spec];
        if (!specifier.startsWith('.')) continue;
        const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
        // Only imports of src/'s own modules draw the graph (not package.json, not a file outside src/).
        if (known.has(to)) found.push({ to, kind: type && match[type] ? 'type' : kind });
      }
    }
    edges.set(file, found);
  }
  return edges;
}

/** Groups of files that import each other, directly or round a loop (strongly connected components), with their imports inside the group. */
export function circles(edges) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const found = [];
  const visit = (file) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    for (const { to } of edges.get(file)) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file), low.get(to)));
      } else if (stack.includes(to)) {
        low.set(file, Math.min(low.get(file), index.get(to)));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group = [];
    let member;
    do {
      member = stack.pop();
      group.push(member);
    } while (member !== file);
    const members = new Set(group);
    const ties = group.flatMap((from) => edges.get(from).filter(({ to }) => members.has(to)).map(({ to, kind }) => `${from} → ${to} (${kind})`));
    if (ties.length > 0) found.push(ties);
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** Imports that break the map: beside or up the layers, or into server/ from outside it. */
export function upward(edges) {
  const wrong = [];
  for (const [from, imports] of edges) {
    for (const { to, kind } of imports) {
      const [fromFolder, toFolder] = [from, to].map((file) => (file.includes('/') ? file.split('/')[0] : ''));
      if (fromFolder === toFolder) continue;
      const [a, b] = [layerOf(from), layerOf(to)];
      if (toFolder === 'server' || (a !== undefined && b !== undefined && b >= a)) wrong.push(`${from} → ${to} (${kind})`);
    }
  }
  return wrong;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const edges = graph();
  const folders = new Map();
  for (const [from, imports] of edges) {
    const folder = from.includes('/') ? `${from.split('/')[0]}/` : 'src/*.ts';
    const entry = folders.get(folder) ?? { files: 0, imports: new Set() };
    entry.files += 1;
    for (const { to } of imports) if (!to.startsWith(folder)) entry.imports.add(to.includes('/') ? `${to.split('/')[0]}/` : to);
    folders.set(folder, entry);
  }
  const order = (folder) => layerOf(folder === 'src/*.ts' ? 'x.ts' : `${folder}x.ts`) ?? -1;
  for (const [folder, { files, imports }] of [...folders].sort(([a], [b]) => order(b) - order(a) || a.localeCompare(b))) {
    console.log(`${folder.padEnd(14)} ${String(files).padStart(2)} files  imports ${[...imports].sort().join(', ') || 'nothing of src/'}`);
  }
  const loops = circles(edges);
  const up = upward(edges);
  for (const loop of loops) console.log(`circle:\n  ${loop.join('\n  ')}`);
  for (const line of up) console.log(`runs up or beside: ${line}`);
  console.log(loops.length + up.length === 0 ? 'no circle, no import up or beside the layers' : `${loops.length} circle(s), ${up.length} import(s) up or beside`);
  process.exitCode = loops.length + up.length === 0 ? 0 : 1;
}
