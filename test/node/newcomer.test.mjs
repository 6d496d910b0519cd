// A newcomer's checks (issues 9 and 12): what the README promises about installing, sizes and
// the framework examples, and what `npm start`'s server lets other web pages do, held against
// the repository as it is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../demo/server.mjs';
import { LIT, cdnFiles, split, sizes } from '../../scripts/size.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8'));

/** The README's section under `heading` (a `## ` line), up to the next `## `. */
function section(heading) {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.notEqual(start, -1, `no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

// ---------------------------------------------------------------------------
// Node versions: a small reader of the `engines.node` ranges found in package-lock.json,
// so the check needs no dependency of its own.

const parseVersion = (text) => text.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : null));
const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `version` ([major, minor, patch]) satisfies one comparator such as `>=20.19`, `^20.19.0`, `18` or `6.*`. */
function satisfiesComparator(version, comparator) {
  const match = /^(>=|<=|>|<|\^|~|=)?\s*v?([\dx*]+(?:\.[\dx*]+){0,2})$/.exec(comparator);
  if (!match) throw new Error(`cannot read the Node range comparator ${JSON.stringify(comparator)}`);
  const [, op = '', raw] = match;
  const parts = parseVersion(raw);
  const given = parts.findIndex((part) => part === null || part === undefined);
  const known = given === -1 ? parts.length : given; // how many leading numbers were given
  const low = [0, 1, 2].map((i) => (i < known ? parts[i] : 0));
  const bump = (index) => low.map((part, i) => (i < index ? part : i === index ? part + 1 : 0));
  if (op === '' || op === '=') {
    if (known === 0) return true;
    return compare(version, low) >= 0 && (known === 3 ? compare(version, low) === 0 : compare(version, bump(known - 1)) < 0);
  }
  if (op === '>=') return compare(version, low) >= 0;
  if (op === '>') return known === 3 ? compare(version, low) > 0 : compare(version, bump(known - 1)) >= 0;
  if (op === '<') return compare(version, low) < 0;
  if (op === '<=') return known === 3 ? compare(version, low) <= 0 : compare(version, bump(known - 1)) < 0;
  if (op === '^') return compare(version, low) >= 0 && compare(version, bump(low[0] === 0 ? 1 : 0)) < 0;
  return compare(version, low) >= 0 && compare(version, bump(known > 1 ? 1 : 0)) < 0; // ~
}

function satisfies(version, range) {
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return comparators.length === 0 || comparators.every((comparator) => comparator === '*' || satisfiesComparator(version, comparator));
  });
}

test('the range reader reads the forms package-lock.json uses', () => {
  const v = (text) => parseVersion(text);
  assert.ok(satisfies(v('20.19.0'), '^20.19.0 || ^22.12.0 || >=24.0.0'));
  assert.ok(!satisfies(v('21.7.0'), '^20.19.0 || ^22.12.0 || >=24.0.0'));
  assert.ok(!satisfies(v('20.19.0'), '>=18.20.8 <19 || >=20.20.2 <21'));
  assert.ok(satisfies(v('20.20.2'), '>=18.20.8 <19 || >=20.20.2 <21'));
  assert.ok(satisfies(v('20.19.0'), '18 || 20 || >=22'));
  assert.ok(!satisfies(v('21.0.0'), '18 || 20 || >=22'));
  assert.ok(satisfies(v('20.19.0'), '6.* || 8.* || >= 10.*'));
  assert.ok(satisfies(v('20.19.0'), '>=16 || 14 >=14.17'));
  assert.ok(satisfies(v('20.19.0'), '*'));
});

test('every package npm installs accepts the Node version the README and devEngines name as the minimum', () => {
  // Issue 9: on the Node the README names, `npm install` must print no EBADENGINE.
  const quickStart = section('Quick start');
  const stated = /Node (\d+\.\d+(?:\.\d+)?) or newer/.exec(quickStart)?.[1];
  assert.ok(stated, 'the Quick start names no minimum Node version');
  const declared = /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(pkg.devEngines?.runtime?.version ?? '')?.[1];
  assert.ok(declared, 'package.json devEngines.runtime.version is not of the form ">=X.Y"');
  const minimum = parseVersion(stated);
  while (minimum.length < 3) minimum.push(0);
  assert.deepEqual(minimum.slice(0, parseVersion(declared).length), parseVersion(declared), `README says Node ${stated}, devEngines ${declared}`);

  const refusing = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && !entry.optional && typeof entry.engines?.node === 'string')
    .filter(([, entry]) => !satisfies(minimum, entry.engines.node))
    .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${entry.engines.node}`);
  assert.deepEqual(refusing, [], `on Node ${minimum.join('.')} npm install warns EBADENGINE for these`);
});

// ---------------------------------------------------------------------------
// Sizes the README states

test("the README's sizes are the sizes of the build (within 0.5 KB)", async () => {
  const kb = (bytes) => bytes / 1024;
  const element = kb(sizes((await split('src/index.ts', LIT)).initial).gzip);
  const cdn = kb(sizes(cdnFiles(`${root}dist/cdn/bricks-websocket.js`).initial).gzip);

  const summary = /\*\*Size\*\*: ([\d.]+) KB min\+gzip for the element's own modules[^;]*; ([\d.]+) KB for the CDN bundle/.exec(section('Performance'));
  assert.ok(summary, 'no **Size** line in the Performance section');
  const install = /bundled in, about ([\d.]+) KB min\+gzip/.exec(section('Install'));
  assert.ok(install, 'no CDN size in the Install section');

  const wrong = [
    ['Performance: element', Number(summary[1]), element],
    ['Performance: CDN bundle', Number(summary[2]), cdn],
    ['Install: CDN bundle', Number(install[1]), cdn],
  ].filter(([, said, measured]) => Math.abs(said - measured) > 0.5);
  assert.deepEqual(wrong.map(([where, said, measured]) => `${where}: README says ${said} KB, the build is ${measured.toFixed(2)} KB`), []);
});

// ---------------------------------------------------------------------------
// Framework examples

test('every React example of the README brings the JSX typings it needs in TypeScript', () => {
  // A .tsx component with <bricks-websocket> and no typings fails in a fresh TypeScript app:
  // "Property 'bricks-websocket' does not exist on type 'JSX.IntrinsicElements'" (TS2339).
  const blocks = [...section('Frameworks').matchAll(/```tsx\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.ok(blocks.length >= 2, 'expected the React 19 and React 18 examples');
  const untyped = blocks.filter((block) => block.includes('<bricks-websocket') && !block.includes("from 'bricks-websocket/react'"));
  assert.deepEqual(untyped.map((block) => block.split('\n').find((line) => line.includes('export function'))), []);
});

test("the README's Vue note says how Vue sets the example's bindings", async () => {
  const { compileTemplate } = await import('vue/compiler-sfc');
  const { BricksWebSocketElement } = await import('../../dist/bricks-websocket-element.js');
  const frameworks = section('Frameworks');
  const template = /<template>\n([\s\S]*?)\n<\/template>/.exec(frameworks)?.[1];
  assert.ok(template, 'no Vue <template> in the Frameworks section');
  const { code } = compileTemplate({
    source: template,
    filename: 'Chat.vue',
    id: 'readme',
    compilerOptions: { isCustomElement: (tag) => tag === 'bricks-websocket' },
  });
  // Vue's runtime (runtime-dom patchProp) sets a binding as a property only when `key in el`,
  // with the key as compiled; otherwise it sets an attribute.
  const keys = [...code.matchAll(/"([a-z][\w-]*)": /g)].map((match) => match[1]);
  assert.ok(keys.includes('ws-url') && keys.includes('queue-limit'), `compiled keys: ${keys.join(', ')}`);
  const asAttributes = keys.filter((key) => !(key in BricksWebSocketElement.prototype));
  const note = frameworks.split('\n').find((line) => line.startsWith('**Vue 3**')) ?? '';
  const claimed = [...note.matchAll(/Vue sets ([^.]*) as the properties/g)].flatMap((match) => [...match[1].matchAll(/`:?([\w-]+)`/g)].map((m) => m[1]));
  assert.deepEqual(claimed.filter((key) => asAttributes.includes(key)), [], 'the README says Vue sets these as properties; Vue sets them as attributes');
});

// ---------------------------------------------------------------------------
// The demo server and other web pages

/** A request as written, with `headers`; resolves with the status and headers. */
function ask(port, path, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo server: what other web pages may do with it', () => {
  let server;

  before(async () => {
    server = await startServer({ port: 0, clock: false });
  });

  after(async () => {
    await server?.close();
  });

  // A server on 127.0.0.1 is still reachable from every page open in this machine's browser.
  // `Access-Control-Allow-Origin: *` (with Private Network Access allowed) lets any web site
  // read /control/<room>/stats, every frame said in the room, and drop or flood the room.
  test('a page of another site may not read the control endpoints', async () => {
    const evil = 'https://evil.example';
    const stats = await ask(server.port, '/control/lobby/stats', { headers: { Origin: evil } });
    assert.ok(![evil, '*'].includes(stats.headers['access-control-allow-origin']), `stats answers ${evil} with Access-Control-Allow-Origin: ${stats.headers['access-control-allow-origin']}`);
    const preflight = await ask(server.port, '/control/lobby/drop', {
      method: 'OPTIONS',
      headers: { Origin: evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' },
    });
    assert.ok(![evil, '*'].includes(preflight.headers['access-control-allow-origin']), `drop's preflight allows ${evil}`);
  });

  test('a page served from this machine (the test runner) still may', async () => {
    const local = 'http://localhost:8000';
    const stats = await ask(server.port, '/control/lobby/stats', { headers: { Origin: local } });
    assert.equal(stats.status, 200);
    assert.ok([local, '*'].includes(stats.headers['access-control-allow-origin']));
  });

  // The README sends a newcomer with a blank page to the console; the browser's own request for
  // /favicon.ico then puts a red "Failed to load resource: 404" there (headless Chromium).
  test('the demo pages cause no 404 for a favicon', async () => {
    const favicon = await ask(server.port, '/favicon.ico');
    if (favicon.status !== 404) return;
    const pages = readdirSync(`${root}demo`).filter((name) => name.endsWith('.html'));
    const withoutIcon = pages.filter((name) => !/<link[^>]+rel="?(?:shortcut )?icon/i.test(readFileSync(`${root}demo/${name}`, 'utf8')));
    assert.deepEqual(withoutIcon, [], '/favicon.ico is 404 and these pages name no icon of their own');
  });
});
