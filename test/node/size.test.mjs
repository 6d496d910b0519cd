// The size budget: `npm test` builds first, then this fails when the element grows past the
// budgets written in package.json ("sizeBudgets", min+gzip, 1 KB = 1,024 bytes). A page pays
// the initial graph; sharing and the declarative layer are chunks loaded when an element uses them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
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
