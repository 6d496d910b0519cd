// The tree reads as the architecture (CONTRIBUTING.md, "Layout"): no module of src/ imports
// itself round a circle, and every import runs down the layers of the map. Every kind of
// import counts: static, `import type`, `typeof import()` and the dynamic `import()` of the
// parts loaded on demand. scripts/imports.mjs reads them (`node scripts/imports.mjs` prints the map).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { circles, graph, upward } from '../../scripts/imports.mjs';

test('no circle of imports in src/', () => {
  assert.deepEqual(circles(graph()), []);
});

test('every import in src/ runs down the layers: a folder never imports one beside or above it', () => {
  assert.deepEqual(upward(graph()), []);
});

test('the reader finds a circle through a type or a dynamic import, and an import that runs up', () => {
  const src = mkdtempSync(path.join(tmpdir(), 'bricks-imports-'));
  try {
    const write = (file, text) => {
      mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
      writeFileSync(path.join(src, file), text);
    };
    write('frames/a.ts', "import type { B } from './b.js';\nexport type A = B;\n");
    write('frames/b.ts', "export type B = string;\nexport const load = () => import('./a.js');\n");
    write('connection/c.ts', "export const c = 1;\n");
    write('frames/d.ts', "import { c } from '../connection/c.js';\nexport const d = c;\n");
    const edges = graph(src);
    assert.deepEqual(circles(edges).map((ties) => ties.sort()), [['frames/a.ts → frames/b.ts (type)', 'frames/b.ts → frames/a.ts (dynamic)']]);
    assert.deepEqual(upward(edges), ['frames/d.ts → connection/c.ts (static)']);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});
