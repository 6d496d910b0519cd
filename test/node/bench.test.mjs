// `npm run bench` keeps the committed bench/results.json for runs of whole sections: a partial run
// writes its results to bench/out/ and its table says what ran, and --docs refuses it up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = (...args) => spawnSync(process.execPath, ['bench/run.mjs', ...args], { cwd: root, encoding: 'utf8' });

/** Runs the bench, which must succeed; `row(pattern)` is the one table row matching, or a failure that shows the output. */
function benchTable(...args) {
  const run = bench(...args);
  assert.equal(run.status, 0, run.stderr);
  const rows = run.stdout.split('\n').filter((line) => line.startsWith('| '));
  return { stdout: run.stdout, row: (pattern) => rows.find((line) => pattern.test(line)) ?? assert.fail(`no row ${pattern} in\n${run.stdout}`) };
}

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
  assert.match(run.stderr, /--docs writes docs\/performance\.md from whole sections with the default settings only \(element: receive,dispatch,[^)]*\); this one has --only=size/);
  assert.doesNotMatch(run.stderr, /building/);
});

test('--docs takes whole sections, but not with a setting other than the default', () => {
  const run = bench('--only=redis-fanout,resume-receive,resume-send,resume-fanout,resume-catchup', '--docs', '--rounds=2');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /this one has --rounds=2\.$/m, 'whole sections are not themselves a deviation');
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

test("the README's table keeps the server rows with a target, and the ws floor and socket.io they are judged against", async () => {
  const { targetsTable } = await import('../../bench/report.mjs');
  const head = [
    'Intel Xeon, 2 cores; Node v20.',
    '',
    '| Measurement | Contender | Median | vs. reference | Target | |',
    '|---|---|---|---|---|---|',
  ];
  const fanoutFloor = '| Server fan-out: 1,000 clients | plain `ws` (floor) | 100 frames/s | 1.00 |  |  |';
  const fanoutLibrary = "|  | `bricks.to('room').send('tick', data)` | 95 frames/s | 0.95; 2.10× socket.io | ≥ 0.9 of the floor and ≥ 2× socket.io | ✓ |";
  const fanoutSocketIo = "|  | socket.io: `io.to('room').emit('tick', data)`, socket.io-client | 45 frames/s | 0.45 |  |  |";
  const requestsFloor = '| Server requests: 50,000 round trips | plain `ws`: `echo` frames answered by hand (floor) | 100 round trips/s | 1.00 |  |  |';
  const requestsSocketIo = "|  | socket.io: `socket.on('echo', (data, ack) => ack(data))` | 50 round trips/s | 0.50 |  |  |";
  const memoryFloor = '| Server memory: 5,000 idle clients | plain `ws` (floor) | heap 2.50 KB per client |  |  |  |';
  const memoryLibrary = '|  | `createServer()` | not measured: library not built |  | < 10 KB heap above plain `ws` |  |';
  const table = [...head, fanoutFloor, fanoutLibrary, fanoutSocketIo, requestsFloor, requestsSocketIo, memoryFloor, memoryLibrary].join('\n');
  assert.equal(targetsTable(table), [...head, fanoutFloor, fanoutLibrary, fanoutSocketIo, memoryFloor, memoryLibrary].join('\n'));
});

test('the server rows measure the library, the ws floor and socket.io, each server and its clients in their own processes', () => {
  const { stdout, row } = benchTable('--only=server-fanout,server-requests,server-memory', '--clients=20', '--rounds=1', '--fanout-frames=100', '--server-requests=100', '--request-clients=4');
  assert.match(stdout, /each server in its own Node process, its clients in (another process|\d+ other processes)/);
  assert.match(row(/Server fan-out: 20 clients in one room, one broadcast at a time \(5 a round\)/), /[\d,]+ frames\/s; latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(row(/socket\.io: `io\.to\('room'\)\.emit/), /[\d,]+ frames\/s/);
  assert.match(row(/plain `ws`: `echo` frames answered by hand/), /[\d,]+ round trips\/s/);
  assert.match(row(/plain `ws` \(floor\)/), /heap -?[\d.]+ KB per client/);
  // npm test builds before the Node tests, so the library loads from dist/ (else: `npm run build`).
  assert.match(row(/`bricks\.to\('room'\)/), /\| [\d,]+ frames\/s; latency p50 [\d.]+ ms, p99 [\d.]+ ms; CPU per frame: server [\d.]+ µs, clients [\d.]+ µs \| [\d.]+; [\d.]+× socket\.io \|/);
  assert.match(row(/`bricks\.handle\('echo'/), /\| [\d,]+ round trips\/s; p50 [\d.]+ ms, p99 [\d.]+ ms \| [\d.]+ \|/);
  assert.match(row(/`createServer\(\)`/), /\| heap -?[\d.]+ KB per client \(RSS -?[\d.]+ KB\) \| [+−][\d.]+ KB heap \| < 10 KB heap above plain `ws` \| [✓✗] \|/);
  assert.doesNotMatch(stdout, /not measured/);
});

test('without the library built, its server rows say so and give no verdict, and the other contenders keep their numbers', async () => {
  const { formatTable, judge } = await import('../../bench/report.mjs');
  const missing = 'library not built: `import(\'bricks-websocket/server\')` failed (ERR_MODULE_NOT_FOUND); run `npm run build`';
  const fanout = (framesPerSecond, ratio) => ({ framesPerSecond, p50Ms: 2, p99Ms: 9, serverCpuUsPerFrame: 10, loadCpuUsPerFrame: 14, ratio });
  const results = {
    date: '2026-12-06T00:00:00.000Z',
    machine: { cpu: 'AMD EPYC', cores: 2, memoryGiB: 24, os: 'Linux' },
    node: 'v20.20.2',
    browser: null,
    loadBefore: [0.1],
    loadAfter: [0.2],
    partial: [],
    settings: { rounds: 5, loadProcesses: 1 },
    measurements: {
      'server-fanout': { library: { missing }, sizes: [{ clients: 1000, broadcasts: 100, contenders: { ws: fanout(40000, 1), 'socket.io': fanout(30000, 0.75) } }] },
      'server-memory': { library: { missing }, clients: 5000, contenders: { ws: { heapPerClient: 2900, rssPerClient: 8000 } } },
    },
  };
  results.verdicts = judge(results);
  assert.deepEqual(results.verdicts, {});
  const table = formatTable(results);
  assert.match(table, /\| plain `ws`: `JSON\.stringify` once, `send` to each socket \(floor\) \| 40,000 frames\/s; latency p50 2\.0 ms, p99 9\.0 ms; CPU per frame: server 10\.0 µs, clients 14\.0 µs \| 1\.00 \|/);
  assert.match(table, /\| `bricks\.to\('room'\)\.send\('tick', data\)` \| not measured: library not built: [^|]+ \|  \| ≥ 0\.9 of the floor and ≥ 2× socket\.io \|  \|/);
  assert.match(table, /\| `createServer\(\)`, every client joined to the room \| not measured: library not built: [^|]+ \|  \| < 10 KB heap above plain `ws` \|  \|/);
  assert.match(table, /each server in its own Node process, its clients in another process/);
});

test('the resume rows measure the library with and without resume clients, and catch-up after a drop', () => {
  const { row } = benchTable('--only=resume-fanout,resume-catchup', '--clients=20', '--rounds=1', '--fanout-frames=100', '--missed=5');
  assert.match(row(/Resume: server fan-out, 20 clients in one room/), /clients without `resume` \(baseline\) \| [\d,]+ frames\/s; latency p50/);
  assert.match(row(/clients with `resume`: each frame numbered/), /\| [\d,]+ frames\/s; latency p50 [\d.]+ ms, p99 [\d.]+ ms; CPU per frame: server [\d.]+ µs, clients [\d.]+ µs \| [\d.]+ \|/);
  assert.match(row(/Resume: catch-up of 20 clients whose sockets the server dropped while it sent 5 frames/), /plain reconnect \(no `resume`\): the 5 frames lost \| [\d.]+ ms until every client has the next live frame/);
  assert.match(row(/`resume`: each client back with its token, given the 5 it missed/), /\| [\d.]+ ms until every client has all 5 and the next live frame \(all reconnected after [\d.]+ ms\) \| [\d.]+ \|/);
});

test('the Redis row runs two instances through a private Redis beside socket.io with its adapter, with a verdict', () => {
  const { stdout, row } = benchTable('--only=redis-fanout', '--clients=10', '--rounds=1', '--redis-frames=3', '--redis-rate=50', '--redis-burst=10');
  assert.match(stdout, /Redis: a private redis-server, each instance in its own Node process/);
  assert.match(row(/Redis: 10 clients per instance; latency of 3 frames at 50\/s, throughput of a burst of 10/), /1 instance, in memory \(baseline\) \| [\d,]+ deliveries\/s; latency p50 [\d.]+ ms, p99 [\d.]+ ms \| 1\.00/);
  assert.match(row(/redisAdapter\(\) \}\)`, 2 instances/), /publishing instance's clients p50 [\d.]+ ms, p99 [\d.]+ ms, other instance's p50 [\d.]+ ms, p99 [\d.]+ ms \| [\d.]+; [\d.]+× socket\.io's adapter \| ahead of socket\.io's adapter; [^|]+ \| [✓✗] \|/);
  assert.match(row(/socket\.io: 2 instances, `@socket\.io\/redis-adapter`/), /[\d,]+ deliveries\/s/);
});

test("the README's tables keep resume's and Redis' rows with a target and their baselines", async () => {
  const { targetsTable } = await import('../../bench/report.mjs');
  const head = ['Node v20.', '', '| Measurement | Contender | Median | vs. reference | Target | |', '|---|---|---|---|---|---|'];
  const without = '| Resume: receive | `<bricks-websocket>` without `resume` (baseline) | 100 frames/s | 1.00 |  |  |';
  const withResume = '|  | `<bricks-websocket resume>` | 95 frames/s | 0.95 | ≥ 0.9 of without | ✓ |';
  const catchup = '| Resume: catch-up | plain reconnect | 400 ms | 1.00 |  |  |';
  const memory = '| Redis | `createServer()`, 1 instance, in memory (baseline) | 9 deliveries/s | 1.00 |  |  |';
  const redis = '|  | `createServer({ adapter: redisAdapter() })`, 2 instances | 8 deliveries/s | 0.90; 1.20× socket.io\'s adapter | ahead | ✓ |';
  const socketIo = '|  | socket.io, 1 instance | 7 deliveries/s | 0.80 |  |  |';
  const socketIoRedis = '|  | socket.io: 2 instances, `@socket.io/redis-adapter` | 6 deliveries/s | 0.70 |  |  |';
  const table = [...head, without, withResume, catchup, memory, redis, socketIo, socketIoRedis].join('\n');
  assert.equal(targetsTable(table), [...head, without, withResume, memory, redis, socketIoRedis].join('\n'));
});
