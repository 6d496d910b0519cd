// The Redis row of `npm run bench` (issue 27): many instances through Redis. One private
// redis-server (scripts/redis.mjs, as the tests start it), server instances in processes of
// their own (instance.mjs), and their clients in the bench's process: `clients` per instance,
// plain `ws` for bricks-websocket and socket.io-client (WebSocket transport) for socket.io.
//
// Contenders, each round started afresh on the same Redis, interleaved after a warm-up round:
//   bricks, 1 instance (in memory)   vs   bricks, 2 instances + Redis adapter
//   socket.io, 1 instance            vs   socket.io, 2 instances + @socket.io/redis-adapter
// Each round: latency (`frames` frames at `rate` a second from instance A; from A's `send` to
// each client's receipt, p50 and p99, for A's clients and B's), then fan-out throughput (`burst`
// frames sent at once from A; client deliveries a second until every client has every frame).
// Method: docs/performance.md, "Redis".
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { io as ioClient } from 'socket.io-client';
import { PrivateRedis } from '../../scripts/redis.mjs';
import { interleaved, median } from '../rounds.mjs';
import { libraryMissing } from '../server/contenders.mjs';

const INSTANCE = fileURLToPath(new URL('./instance.mjs', import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

export const REDIS_CONTENDERS = {
  'bricks-memory': { kind: 'bricks', adapter: 'memory', instances: 1 },
  'bricks-redis': { kind: 'bricks', adapter: 'redis', instances: 2 },
  'socket.io-memory': { kind: 'socketio', adapter: 'memory', instances: 1 },
  'socket.io-redis': { kind: 'socketio', adapter: 'redis', instances: 2 },
};

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

async function startInstance(name, contender, redis, prefix) {
  const child = fork(INSTANCE, [], { env: { ...process.env, KIND: contender.kind, ADAPTER: contender.adapter, REDIS_URL: redis.url, PREFIX: prefix }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await ask(child, null, 'ready');
  // An instance that dies mid-run would leave the bench waiting for frames that never come.
  const onExit = (code, signal) => {
    console.error(`redis-fanout: a ${name} instance exited (${signal ?? code}) during the run; stopping (the private Redis stops with the bench).`);
    process.exit(1);
  };
  child.on('exit', onExit);
  return { child, port, closed: () => child.off('exit', onExit) };
}

/** One client; `onFrame(data)` for each tick. */
function openClient(kind, port, onFrame) {
  if (kind === 'bricks') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    ws.on('message', (raw) => onFrame(JSON.parse(raw).data));
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

/** One round of one contender, its instances started for it and stopped after. */
async function runContender(name, redis, round, { clients: perInstance, frames, rate, burst }) {
  const contender = REDIS_CONTENDERS[name];
  // A prefix per round and contender: no stream, room or channel of an earlier one is seen.
  const prefix = `bench${round + 1}${contender.kind}:`;
  const instances = [];
  for (let i = 0; i < contender.instances; i++) instances.push(await startInstance(name, contender, redis, prefix));
  // With one instance, its clients stand for both groups: "same instance" is all there is.
  const groups = contender.instances === 2 ? ['A', 'B'] : ['A'];
  const state = { mode: 'idle', samples: { A: [], B: [] }, received: 0, target: 0, done: null };
  const clients = [];
  for (const [index, group] of groups.entries()) {
    for (let i = 0; i < perInstance; i++) {
      clients.push(
        await openClient(contender.kind, instances[index].port, (data) => {
          if (state.mode === 'latency') state.samples[group].push(now() - data.t);
          if (++state.received === state.target) state.done();
        }),
      );
    }
  }
  // socket.io counts a client once its handshake is done: wait until every instance has all of its own.
  for (const instance of instances) while ((await ask(instance.child, { clients: true }, 'clients')) < perInstance) await new Promise((resolve) => setTimeout(resolve, 50));
  const publisher = instances[0].child;
  const total = clients.length;

  // Latency, at a steady rate.
  state.mode = 'latency';
  state.received = 0;
  state.target = frames * total;
  let all = new Promise((resolve) => (state.done = resolve));
  await ask(publisher, { publish: { count: frames, rate } }, 'published');
  await all;
  const latency = {};
  for (const group of groups) {
    const sorted = state.samples[group].sort((a, b) => a - b);
    latency[group] = { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), samples: sorted.length };
  }

  // Throughput: a burst, timed from the first send to the last delivery.
  state.mode = 'throughput';
  state.received = 0;
  state.target = burst * total;
  all = new Promise((resolve) => (state.done = resolve));
  const start = performance.now();
  await ask(publisher, { publish: { count: burst, rate: 0 } }, 'published');
  await all;
  const ms = performance.now() - start;

  for (const client of clients) client.close();
  for (const instance of instances) {
    instance.closed();
    await ask(instance.child, { close: true }, 'closed').catch(() => {});
  }
  return { ms, deliveriesPerSecond: (burst * total * 1000) / ms, clients: total, latency };
}

/**
 * The row: every contender in every round, interleaved, after a warm-up round at a tenth of the
 * frames; medians per contender. Without the library built, the bricks contenders are left out.
 */
export async function redisFanout({ clients, rounds, frames, rate, burst }) {
  const missing = await libraryMissing();
  if (missing) log(`   ${missing}: measuring socket.io only`);
  const names = Object.keys(REDIS_CONTENDERS).filter((name) => !missing || !name.startsWith('bricks'));
  const redis = new PrivateRedis();
  await redis.start();
  let runs;
  try {
    const sizes = { clients, frames, rate, burst };
    const warmup = { clients, frames: Math.max(1, Math.round(frames / 10)), rate, burst: Math.max(1, Math.round(burst / 10)) };
    const run = (settings) => async (name, round) => {
      const result = await runContender(name, redis, round < 0 ? rounds : round, settings);
      log(`   ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${name}: ${Math.round(result.deliveriesPerSecond)} deliveries/s; ${Object.entries(result.latency).map(([group, { p50Ms, p99Ms }]) => `${group} p50 ${p50Ms.toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms`).join('; ')}`);
      return result;
    };
    runs = await interleaved(names, run(sizes), { warmup: run(warmup), rounds });
  } finally {
    await redis.dispose();
  }
  const contenders = {};
  for (const [name, list] of Object.entries(runs)) {
    const of = (pick) => median(list.map(pick));
    contenders[name] = { deliveriesPerSecond: of((r) => r.deliveriesPerSecond), clients: list[0].clients, latency: {} };
    for (const group of Object.keys(list[0].latency)) contenders[name].latency[group] = { p50Ms: of((r) => r.latency[group].p50Ms), p99Ms: of((r) => r.latency[group].p99Ms) };
  }
  return { library: { missing }, clients, frames, rate, burst, runs, contenders };
}
