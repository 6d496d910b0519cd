// The size budget: `npm test` builds first, then this fails when the element grows past the
// budgets written in package.json ("sizeBudgets", min+gzip, 1 KB = 1,024 bytes). A page pays
// the initial graph; sharing and the declarative layer are chunks loaded when an element uses them.
// It also checks that a build ships in dist/cdn only the files it made.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIT, budgets, cdnFiles, split, sizes } from '../../scripts/size.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

test('the element\'s modules a page loads first, without lit, fit the "element" budget (min+gzip)', async () => {
  const { gzip } = sizes((await split('src/index.ts', LIT)).initial);
  const budget = budgets().element;
  assert.ok(gzip <= budget, `src/index.ts without lit loads ${kb(gzip)} min+gzip first, over its budget of ${kb(budget)} (package.json sizeBudgets.element)`);
});

test('all of the element\'s modules, the on-demand ones included, fit the "element-all" budget (min+gzip)', async () => {
  const { initial, lazy } = await split('src/index.ts', LIT);
  assert.ok(lazy.length > 0, 'no module is loaded on demand: sharing and the declarative layer should be');
  const { gzip } = sizes([...initial, ...lazy]);
  const budget = budgets()['element-all'];
  assert.ok(gzip <= budget, `src/index.ts without lit is ${kb(gzip)} min+gzip in all, over its budget of ${kb(budget)} (package.json sizeBudgets["element-all"])`);
});

test('the ES module CDN bundle, lit included, fits the "cdn" budget (min+gzip)', () => {
  const { initial, lazy } = cdnFiles(`${root}dist/cdn/bricks-websocket.js`);
  assert.ok(lazy.length > 0, 'dist/cdn/bricks-websocket.js has no on-demand chunk');
  const { gzip } = sizes(initial);
  const budget = budgets().cdn;
  assert.ok(gzip <= budget, `dist/cdn/bricks-websocket.js is ${kb(gzip)} min+gzip, over its budget of ${kb(budget)} (package.json sizeBudgets.cdn)`);
});

test('a build leaves in dist/cdn only what it made: no chunk of an earlier build is shipped beside it', () => {
  // Built in a copy, with a chunk of an "earlier build" planted: the other node tests read dist/ meanwhile.
  const copy = mkdtempSync(path.join(tmpdir(), 'bricks-cdn-'));
  try {
    cpSync(`${root}dist`, path.join(copy, 'dist'), { recursive: true, filter: (file) => !file.includes(`${path.sep}cdn`) });
    cpSync(`${root}rollup.config.mjs`, path.join(copy, 'rollup.config.mjs'));
    symlinkSync(`${root}node_modules`, path.join(copy, 'node_modules'), 'dir');
    const cdn = path.join(copy, 'dist', 'cdn');
    mkdirSync(cdn);
    writeFileSync(path.join(cdn, 'bricks-websocket-declarative-0ld0ld0l.js'), 'export {};\n');
    execFileSync(process.execPath, [`${root}node_modules/rollup/dist/bin/rollup`, '-c', 'rollup.config.mjs', '--silent'], { cwd: copy, stdio: 'pipe' });
    // What the entry reaches, the classic bundle, and their source maps.
    const reached = new Set(['bricks-websocket.js', 'bricks-websocket.iife.js']);
    for (const file of [...reached]) {
      for (const [, spec] of readFileSync(path.join(cdn, file), 'utf8').matchAll(/["']\.\/([\w.-]+\.js)["']/g)) reached.add(spec);
    }
    assert.deepEqual(readdirSync(cdn).sort(), [...reached].flatMap((file) => [file, `${file}.map`]).sort());
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
