// How big the element is, measured one way for the benchmark and for the size budget test:
// bundled and minified by esbuild (lit external for the module graph), then gzip level 9
// and brotli quality 11. 1 KB = 1,024 bytes.
//
//   import { sizes, minified, split, cdnFiles, budgets } from './scripts/size.mjs';
//   sizes(await minified('lit'))                  → { min, gzip, brotli } in bytes: one bundle, everything in
//   sizes((await split('src/index.ts', LIT)).initial)   what a page loads before any element asks for more;
//                                                 .lazy: the parts loaded on demand (sharing, data-*)
//   sizes(cdnFiles('dist/cdn/bricks-websocket.js').initial)   the same for a built CDN bundle
//   budgets()                                     → package.json's "sizeBudgets", in bytes

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Lit and its parts: what "without lit" leaves out. */
export const LIT = ['lit', 'lit/*', '@lit/*', 'lit-html', 'lit-html/*', 'lit-element', 'lit-element/*'];

/** Bundled and minified by esbuild, the same way for every package. */
export async function minified(entry, external = [], repo = REPO) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    external,
    write: false,
    absWorkingDir: repo,
    tsconfig: path.join(repo, 'tsconfig.json'),
    logLevel: 'error',
  });
  return result.outputFiles[0].contents;
}

/**
 * Bundled and minified with code splitting: `initial` is the entry and the chunks it imports
 * statically, `lazy` the chunks only a dynamic `import()` reaches.
 */
export async function split(entry, external = [], repo = REPO, plugins = []) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    external,
    write: false,
    outdir: path.join(repo, '.size-out'),
    metafile: true,
    absWorkingDir: repo,
    tsconfig: path.join(repo, 'tsconfig.json'),
    logLevel: 'error',
    plugins,
  });
  const contents = new Map(result.outputFiles.map((file) => [path.relative(repo, file.path), file.contents]));
  const outputs = result.metafile.outputs;
  const entryFile = Object.keys(outputs).find((file) => outputs[file].entryPoint);
  return graph(entryFile, (file) => outputs[file].imports.filter((i) => !i.external), (file) => contents.get(file), contents.keys());
}

/** A built ES module bundle (e.g. dist/cdn/bricks-websocket.js) and its chunks, split the same way. */
export function cdnFiles(entryFile) {
  const read = (file) => readFileSync(file);
  const imports = (file) =>
    [...read(file).toString().matchAll(/\b(?:import|export)\s*(\(\s*)?(?:[\w{},*\s$]*from\s*)?["'](\.[^"']+)["']/g)].map(([, dynamic, spec]) => ({
      path: path.join(path.dirname(file), spec),
      kind: dynamic ? 'dynamic-import' : 'import-statement',
    }));
  return graph(entryFile, imports, read);
}

function graph(entryFile, importsOf, bytesOf) {
  const initial = new Set();
  const lazy = new Set();
  const visit = (file, dynamic) => {
    if (initial.has(file) || (dynamic && lazy.has(file))) return;
    (dynamic ? lazy : initial).add(file);
    if (!dynamic) lazy.delete(file);
    for (const i of importsOf(file)) visit(i.path, dynamic || i.kind === 'dynamic-import');
  };
  visit(entryFile, false);
  return { initial: [...initial].map(bytesOf), lazy: [...lazy].map(bytesOf) };
}

/**
 * Sizes of one file, or of files joined: esbuild splits the initial graph into chunks that a
 * page's bundler would keep in the page's own chunk (and rollup's CDN build keeps in one file).
 */
export function sizes(bytes) {
  if (Array.isArray(bytes)) return sizes(Buffer.concat(bytes.map((file) => Buffer.from(file))));
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  };
}


/**
 * The budgets CI enforces, from package.json's "sizeBudgets" (min+gzip, in KB), in bytes:
 * `element` is the module graph of src/index.ts without lit, `cdn` the ES module CDN bundle with lit.
 */
export function budgets() {
  const { sizeBudgets } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  return Object.fromEntries(Object.entries(sizeBudgets).map(([name, kb]) => [name, Number.parseFloat(kb) * 1024]));
}
