// CDN builds from tsc's output in dist/: lit bundled in, minified.
//   dist/cdn/bricks-websocket.js       ES module: <script type="module" src=...>; the parts an element
//                                      loads on demand (sharing, the declarative layer) are chunks beside it,
//                                      dist/cdn/bricks-websocket-<part>-<hash>.js
//   dist/cdn/bricks-websocket.iife.js  classic <script>: defines the tag, sets window.BricksWebSocketElement;
//                                      one file, the on-demand parts inlined (a classic script cannot import)
import { rmSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

// Chunk names carry a hash: the output folder is emptied before the first build writes to it, so
// no chunk of an earlier build is published beside these. A hook, not a statement here: the
// benchmark imports this config and writes elsewhere.
const emptyOutput = { name: 'empty-output', renderStart: ({ dir }) => rmSync(dir, { recursive: true, force: true }) };

// `module` lets terser drop unused top-level names; the classic build's global must survive.
const plugins = (module) => [nodeResolve(), terser({ ecma: 2022, module, format: { comments: false } })];

// The classic build's single export becomes the global `BricksWebSocketElement`.
const IIFE_ENTRY = '\0bricks-websocket-iife';
const iifeEntry = {
  name: 'iife-entry',
  resolveId: (id) => (id === IIFE_ENTRY ? id : null),
  load: (id) =>
    id === IIFE_ENTRY
      ? `export { BricksWebSocketElement as default } from ${JSON.stringify(new URL('./dist/bricks-websocket.js', import.meta.url).pathname)};`
      : null,
};

// tsc's decorator helper reads a top-level `this`, which is undefined in a module: harmless.
const onwarn = (warning, warn) => warning.code !== 'THIS_IS_UNDEFINED' && warn(warning);

export default [
  {
    input: 'dist/bricks-websocket.js',
    // The on-demand chunks import what they share with the entry from the entry itself, not from a third file.
    preserveEntrySignatures: 'allow-extension',
    output: { dir: 'dist/cdn', entryFileNames: 'bricks-websocket.js', chunkFileNames: 'bricks-websocket-[name]-[hash].js', format: 'es', sourcemap: true },
    plugins: [emptyOutput, ...plugins(true)],
    onwarn,
  },
  {
    input: IIFE_ENTRY,
    output: { file: 'dist/cdn/bricks-websocket.iife.js', format: 'iife', name: 'BricksWebSocketElement', exports: 'default', inlineDynamicImports: true, sourcemap: true },
    plugins: [iifeEntry, ...plugins(false)],
    onwarn,
  },
];
