// Builds what the bench page loads, into bench/out/ (gitignored), without touching dist/:
// other people's test runs read dist/ while the bench runs.
//   bench/out/dist/   tsc's output for src/ (as `npm run build` makes dist/)
//   bench/out/cdn/    both CDN bundles, by the project's own rollup.config.mjs with paths redirected
//   bench/out/alts.js partysocket/ws and reconnecting-websocket for the page
// And measures sizes: min, min+gzip, min+brotli.

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import { LIT, cdnFiles, minified, sizes, split } from '../scripts/size.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(REPO, 'bench/out');

/**
 * tsc then rollup, exactly as `npm run build`, but into bench/out. With `tryRepo` (a scratch
 * copy of this repository with a proposed src/ change), builds that copy into bench/out/try/.
 */
export async function buildElement(tryRepo = null) {
  await buildCdn(REPO, OUT);
  if (tryRepo) await buildCdn(path.resolve(tryRepo), path.join(OUT, 'try'));
  await esbuild.build({
    entryPoints: [path.join(REPO, 'bench/alts.entry.mjs')],
    outfile: path.join(OUT, 'alts.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
  });
}

async function buildCdn(repo, out) {
  const dist = path.join(repo, 'dist');
  const outDist = path.join(out, 'dist');
  rmSync(outDist, { recursive: true, force: true });
  execFileSync(path.join(REPO, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--outDir', outDist, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], { cwd: repo, stdio: 'inherit' });
  const { default: configs } = await import(path.join(repo, 'rollup.config.mjs'));
  // Anything the config reads from dist/ comes from out/dist/ instead.
  const redirect = {
    name: 'bench-redirect-dist',
    resolveId(id, importer) {
      if (id.startsWith('\0')) return null;
      const abs = path.isAbsolute(id) ? id : path.resolve(importer ? path.dirname(importer) : repo, id);
      return abs.startsWith(dist + path.sep) ? path.join(outDist, path.relative(dist, abs)) : null;
    },
  };
  for (const config of configs) {
    const bundle = await rollup({ ...config, input: config.input, plugins: [redirect, ...config.plugins] });
    const { file, dir } = config.output;
    await bundle.write(file ? { ...config.output, file: path.join(out, 'cdn', path.basename(file)) } : { ...config.output, dir: path.join(out, 'cdn', path.relative(path.join(repo, 'dist/cdn'), path.resolve(repo, dir))) });
    await bundle.close();
  }
}

/** Sizes of the element, its CDN bundles and the alternatives; call after buildElement(). */
export async function measureSizes(tryRepo = null) {
  // What a page loads first; sharing, the declarative layer and the base64 encoder are chunks an element loads when it uses them.
  const element = async (repo) => {
    const { initial, lazy } = await split(path.join(repo, 'src/index.ts'), LIT, repo);
    return { first: sizes(initial), all: sizes([...initial, ...lazy]) };
  };
  const cdn = (dir) => sizes(cdnFiles(path.join(dir, 'bricks-websocket.js')).initial);
  const own = await element(REPO);
  const tried = tryRepo ? await element(path.resolve(tryRepo)) : null;
  const rows = [
    { id: 'element', label: '`bricks-websocket` module graph as a page loads it first (src/index.ts, @lit/reactive-element external)', ...own.first },
    ...(tried ? [{ id: 'element-try', label: 'the same, with the proposed src/ change (--try)', ...tried.first }] : []),
    { id: 'element-all', label: 'the same with every part an element loads on demand (sharing, data-*, the base64 encoder)', ...own.all },
    ...(tried ? [{ id: 'element-all-try', label: 'the same, with the proposed src/ change (--try)', ...tried.all }] : []),
    { id: 'cdn-esm', label: '`dist/cdn/bricks-websocket.js` (@lit/reactive-element bundled, as shipped; its on-demand chunks not counted)', ...cdn(path.join(OUT, 'cdn')) },
    ...(tryRepo ? [{ id: 'cdn-esm-try', label: 'the ES module CDN bundle, with the proposed change (--try)', ...cdn(path.join(OUT, 'try/cdn')) }] : []),
    { id: 'cdn-iife', label: '`dist/cdn/bricks-websocket.iife.js` (@lit/reactive-element bundled, everything inlined, as shipped)', ...sizes(readFileSync(path.join(OUT, 'cdn/bricks-websocket.iife.js'))) },
    { id: 'reactive-element', label: "@lit/reactive-element alone (the element's one dependency)", ...sizes(await minified('@lit/reactive-element')) },
    { id: 'lit', label: 'lit alone (for reference: LitElement and lit-html, which the element does not use)', ...sizes(await minified('lit')) },
    { id: 'partysocket', label: 'partysocket', ...sizes(await minified('partysocket')) },
    { id: 'reconnecting-websocket', label: 'reconnecting-websocket', ...sizes(await minified('reconnecting-websocket')) },
    { id: 'htmx-ext-ws', label: 'htmx-ext-ws (htmx.org external)', ...sizes(await minified('htmx-ext-ws', ['htmx.org'])) },
    { id: 'htmx-ext-ws+htmx', label: 'htmx-ext-ws with htmx.org', ...sizes(await minified('htmx-ext-ws')) },
  ];
  return rows;
}
