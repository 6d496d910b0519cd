// `npm run bench` keeps the committed bench/results.json for full runs: a partial run writes its
// results to bench/out/ and its table says what ran, and --docs refuses a partial run up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = (...args) => spawnSync(process.execPath, ['bench/run.mjs', ...args], { cwd: root, encoding: 'utf8' });

test('a partial run (--only=size) leaves bench/results.json as committed and says what ran', () => {
  const committed = readFileSync(`${root}bench/results.json`, 'utf8');
  const run = bench('--only=size');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(`${root}bench/results.json`, 'utf8'), committed, 'bench/results.json rewritten by a partial run');

  const written = JSON.parse(readFileSync(`${root}bench/out/results.json`, 'utf8'));
  assert.deepEqual(written.partial, ['--only=size']);
  assert.deepEqual(Object.keys(written.measurements), ['size']);
  assert.equal(written.browser, null, 'no browser was started for sizes');

  const [first, second, third] = run.stdout.split('\n');
  assert.match(first, /^Partial run \(--only=size\): size only/);
  assert.doesNotMatch(second, /chrom|headless/i, 'no browser in the header of a run without one');
  assert.match(third, /^Sizes by esbuild/);
  assert.doesNotMatch(run.stdout, /interleaved rounds/);
});

test('--docs refuses a partial run before measuring anything', () => {
  const run = bench('--only=size', '--docs');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /--docs writes docs\/performance\.md from a full run only; this one has --only=size/);
  assert.doesNotMatch(run.stderr, /building/);
});

test('an unknown measurement is refused with the list of known ones', () => {
  const run = bench('--only=speed');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /unknown measurement speed; use receive, dispatch, send, base64, backpressure, size, memory/);
});

test("the README's table keeps the rows with a target, and the floors and reconnecting-websocket they are judged against", async () => {
  const { targetsTable } = await import('../../bench/report.mjs');
  const head = [
    'chromium, headless; 2 cores.',
    '',
    '| Measurement | Contender | Median | vs. reference | Target | |',
    '|---|---|---|---|---|---|',
  ];
  const floor = '| Receive | raw `WebSocket` (floor) | 100 frames/s | 1.00 |  |  |';
  const element = '|  | `<bricks-websocket>` | 103 frames/s | 1.03 | ≥ 0.92 | ✓ |';
  const partysocket = '|  | partysocket + `JSON.parse` | 84 frames/s | 0.84 |  |  |';
  const reconnecting = '|  | reconnecting-websocket + `JSON.parse` | 101 frames/s | 1.01 |  |  |';
  const size = '| Size | the element, first load | 11 KB |  | ≤ 8 KB | ✗ |';
  const sizeAlone = '|  | partysocket | 4 KB |  |  |  |';
  const sharing = '| Sharing | a socket each | 1 frames/s | 1.00 |  |  |';
  const table = [...head, floor, element, partysocket, reconnecting, size, sizeAlone, sharing].join('\n');
  assert.equal(targetsTable(table), [...head, floor, element, reconnecting, size].join('\n'));
});
