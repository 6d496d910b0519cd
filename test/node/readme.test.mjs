// The README's first page is demo/hello.html, which the demo's end-to-end test opens against
// `npm start`'s server: this keeps the two the same, so the README's example works as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

test("the README's quick start shows demo/hello.html as it is", () => {
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
  const page = /```html\n([\s\S]*?)```/.exec(quickStart)?.[1];
  assert.ok(page, 'no html block in the Quick start section');
  assert.equal(page, readFileSync(`${root}demo/hello.html`, 'utf8'));
  assert.match(quickStart, /npm install && npm start/);
  assert.match(quickStart, /npm test/);
});

test("the README says each of the element's attributes once: one attribute table", () => {
  // The declarative layer's table ("attribute | on | does") lists attributes of descendants.
  assert.equal(readme.match(/^\| attribute \| property \|/gm)?.length, 1);
});
