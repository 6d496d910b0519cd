// The size budget: `npm test` builds first, then this fails when the element grows past the
// budgets written in package.json ("sizeBudgets", min+gzip, 1 KB = 1,024 bytes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LIT, budgets, minified, sizes } from '../../scripts/size.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

test('the element\'s modules, without lit, fit the "element" budget (min+gzip)', async () => {
  const { gzip } = sizes(await minified('src/index.ts', LIT));
  const budget = budgets().element;
  assert.ok(gzip <= budget, `src/index.ts without lit is ${kb(gzip)} min+gzip, over its budget of ${kb(budget)} (package.json sizeBudgets.element)`);
});

test('the ES module CDN bundle, lit included, fits the "cdn" budget (min+gzip)', () => {
  const { gzip } = sizes(readFileSync(`${root}dist/cdn/bricks-websocket.js`));
  const budget = budgets().cdn;
  assert.ok(gzip <= budget, `dist/cdn/bricks-websocket.js is ${kb(gzip)} min+gzip, over its budget of ${kb(budget)} (package.json sizeBudgets.cdn)`);
});
