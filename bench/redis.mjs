// `npm run bench:redis`: many instances through Redis (issue 27). One private redis-server
// (scripts/redis.mjs), server instances in processes of their own (bench/redis-instance.mjs),
// and the clients in this process: CLIENTS per instance, plain `ws` for bricks-websocket and
// socket.io-client (WebSocket transport) for socket.io.
//
// Contenders, run one after the other on the same Redis, ROUNDS times interleaved:
//   bricks, 1 instance (in memory)   vs   bricks, 2 instances + Redis adapter
//   socket.io, 1 instance            vs   socket.io, 2 instances + @socket.io/redis-adapter
// Each round: latency (FRAMES frames at RATE a second from instance A; from A's `send` to each
// client's receipt, p50 and p99, for A's clients and B's), then fan-out throughput (BURST frames
// sent at once from A; client deliveries a second until every client has every frame).
//
//   npm run bench:redis
//   npm run bench:redis -- --clients=200 --rounds=1    quicker, for development
//
// Writes bench/out/redis.json; prints a table. Performance is never asserted by a test.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { io as ioClient } from 'socket.io-client';
import { PrivateRedis } from '../scripts/redis.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((arg) => {
  const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
  return [key, value];
}));
const CLIENTS = Number(args.clients ?? 1000);
const ROUNDS = Number(args.rounds ?? 3);
const FRAMES = Number(args.frames ?? 50);
// Well below what one instance can fan out (1,000 clients x 5 = 5,000 deliveries a second), so
// the latency is the path's and not a queue's.
const RATE = Number(args.rate ?? 5);
const BURST = Number(args.burst ?? 500);
const INSTANCE = fileURLToPath(new URL('./redis-instance.mjs', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

const CONTENDERS = [
  { name: 'bricks, 1 instance, in memory', kind: 'bricks', adapter: 'memory', instances: 1 },
  { name: 'bricks, 2 instances, Redis adapter', kind: 'bricks', adapter: 'redis', instances: 2 },
  { name: 'socket.io, 1 instance', kind: 'socketio', adapter: 'memory', instances: 1 },
  { name: 'socket.io, 2 instances, @socket.io/redis-adapter', kind: 'socketio', adapter: 'redis', instances: 2 },
].filter((contender) => !args.only || args.only.split(',').some((word) => contender.name.includes(word)));

function ask(child, message, key) {
  return new Promise((resolve, reject) => {
    const onMessage = (answer) => {
      if (!(key in answer)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(answer[key]);
    };
    const onExit = (code) => reject(new Error(`a bench instance exited (${code}) while asked ${JSON.stringify(message)}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message) child.send(message);
  });
}

async function startInstance(contender, redis, prefix) {
  const child = fork(INSTANCE, [], { env: { ...process.env, KIND: contender.kind, ADAPTER: contender.adapter, REDIS_URL: redis.url, PREFIX: prefix }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await ask(child, null, 'ready');
  // An instance that dies mid-run would leave this process waiting for frames that never come.
  const onExit = (code, signal) => {
    console.error(`bench:redis: a ${contender.name} instance exited (${signal ?? code}) during the run; stopping.`);
    process.exit(1);
  };
  child.on('exit', onExit);
  return { child, port, closed: () => child.off('exit', onExit) };
}

/** One client; `onFrame(data)` for each tick. */
function openClient(kind, port, onFrame) {
  if (kind === 'bricks') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    ws.on('message', (raw) => onFrame(raw));
    ws.on('error', () => {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ close: () => ws.terminate() }));
      ws.once('error', reject);
    });
  }
  const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  socket.on('tick', (data) => onFrame(data));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ close: () => socket.disconnect() }));
    socket.once('connect_error', reject);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function runContender(contender, redis, round) {
  const prefix = `bench${round}${contender.kind}:`;
  const instances = [];
  for (let i = 0; i < contender.instances; i++) instances.push(await startInstance(contender, redis, prefix));
  // With one instance, its clients stand for both groups: "same instance" is all there is.
  const groups = contender.instances === 2 ? ['A', 'B'] : ['A'];
  const state = { mode: 'idle', samples: { A: [], B: [] }, received: 0, target: 0, done: null };
  const clients = [];
  const bricks = contender.kind === 'bricks';
  for (const [index, group] of groups.entries()) {
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(
        await openClient(contender.kind, instances[index].port, (frame) => {
          if (state.mode === 'latency') {
            const data = bricks ? JSON.parse(frame).data : frame;
            state.samples[group].push(now() - data.t);
          }
          if (++state.received === state.target) state.done();
        }),
      );
    }
  }
  // socket.io counts a client once its handshake is done: wait until every instance has all of its own.
  for (const instance of instances) while ((await ask(instance.child, { clients: true }, 'clients')) < CLIENTS) await new Promise((resolve) => setTimeout(resolve, 50));
  const publisher = instances[0].child;
  const total = clients.length;

  // Latency, at a steady rate.
  state.mode = 'latency';
  state.received = 0;
  state.target = FRAMES * total;
  let all = new Promise((resolve) => (state.done = resolve));
  await ask(publisher, { publish: { count: FRAMES, rate: RATE } }, 'published');
  await all;
  const latency = {};
  for (const group of groups) {
    const sorted = state.samples[group].sort((a, b) => a - b);
    latency[group] = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
  }

  // Throughput: a burst, timed from the first send to the last delivery.
  state.mode = 'throughput';
  state.received = 0;
  state.target = BURST * total;
  all = new Promise((resolve) => (state.done = resolve));
  const start = performance.now();
  await ask(publisher, { publish: { count: BURST, rate: 0 } }, 'published');
  await all;
  const seconds = (performance.now() - start) / 1000;

  for (const client of clients) client.close();
  for (const instance of instances) {
    instance.closed();
    await ask(instance.child, { close: true }, 'closed').catch(() => {});
  }
  return { latency, deliveriesPerSecond: (BURST * total) / seconds, clients: total };
}

const redis = new PrivateRedis();
await redis.start();
const results = Object.fromEntries(CONTENDERS.map((contender) => [contender.name, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const contender of CONTENDERS) {
      const result = await runContender(contender, redis, round);
      results[contender.name].push(result);
      console.error(`round ${round}: ${contender.name}: ${Math.round(result.deliveriesPerSecond)} deliveries/s, ${Object.entries(result.latency).map(([group, { p50, p99 }]) => `${group} p50 ${p50.toFixed(2)} ms p99 ${p99.toFixed(2)} ms`).join(', ')}`);
    }
  }
} finally {
  await redis.dispose();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = CONTENDERS.map((contender) => {
  const runs = results[contender.name];
  const row = { contender: contender.name, clients: runs[0].clients, deliveriesPerSecond: median(runs.map((run) => run.deliveriesPerSecond)) };
  for (const group of Object.keys(runs[0].latency)) {
    row[`${group} p50 ms`] = median(runs.map((run) => run.latency[group].p50));
    row[`${group} p99 ms`] = median(runs.map((run) => run.latency[group].p99));
  }
  return row;
});
const header = `bench:redis: ${CLIENTS} clients per instance, ${FRAMES} frames at ${RATE}/s for latency, bursts of ${BURST}; median of ${ROUNDS} rounds; ${os.cpus().length} cores, Node ${process.version}, redis-server on loopback.\nA: the publishing instance's clients (through Redis with two instances); B: the other instance's.`;
console.log(header);
console.log('| contender | clients | deliveries/s | A p50 | A p99 | B p50 | B p99 |');
console.log('|---|---|---|---|---|---|---|');
const ms = (value) => (value === undefined ? '' : `${value.toFixed(2)} ms`);
for (const row of rows) console.log(`| ${row.contender} | ${row.clients} | ${Math.round(row.deliveriesPerSecond).toLocaleString('en')} | ${ms(row['A p50 ms'])} | ${ms(row['A p99 ms'])} | ${ms(row['B p50 ms'])} | ${ms(row['B p99 ms'])} |`);
mkdirSync(fileURLToPath(new URL('./out/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('./out/redis.json', import.meta.url)), `${JSON.stringify({ header, settings: { CLIENTS, ROUNDS, FRAMES, RATE, BURST }, rows, runs: results }, null, 2)}\n`);
process.exit(0);
