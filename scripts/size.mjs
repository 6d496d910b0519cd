// How big the element is, measured one way for the benchmark and for the size budget test:
// bundled and minified by esbuild (lit external for the module graph), then gzip level 9
// and brotli quality 11. 1 KB = 1,024 bytes.
//
//   import { sizes, minified, budgets } from './scripts/size.mjs';
//   sizes(await minified('src/index.ts', LIT))   → { min, gzip, brotli } in bytes
//   budgets()                                    → package.json's "sizeBudgets", in bytes

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

export function sizes(bytes) {
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
