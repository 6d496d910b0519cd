// The server rows of `npm run bench` (issue 25): fan-out, requests and memory of the library
// against a plain `ws` server (the floor) and socket.io; and resume's (issue 26): fan-out with
// resume clients, and how long 1,000 clients take to be caught up after a drop. Each server
// runs alone in its own process (under-test.mjs) and its clients in others (load.mjs), so the
// load generator's work is not counted as the server's, and both share the machine's cores as
// they would on one host. Method: docs/performance.md, "Server" and "Resume".

import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { interleaved, median } from '../rounds.mjs';
import { libraryMissing } from './contenders.mjs';
import { startProcess } from './ipc.mjs';

const UNDER_TEST = fileURLToPath(new URL('./under-test.mjs', import.meta.url));
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

/** Load processes by default: the cores the server does not use, at least one, at most four. */
export const defaultLoadProcesses = () => Math.max(1, Math.min(4, os.cpus().length - 1));

/**
 * One contender's server process and the load processes holding its `clients` clients, all
 * connected and in the room; `capacity`: how many it may connect in all (open-file limits).
 * `gc`: the server can collect garbage before reading its heap.
 */
async function startContender(contender, clients, { loadProcesses, capacity = clients, gc = false }) {
  const server = startProcess(UNDER_TEST, { name: `${contender} server`, files: capacity, execArgv: gc ? ['--expose-gc'] : [] });
  const loads = [];
  try {
    const workers = Math.max(1, Math.min(loadProcesses, capacity));
    for (let i = 0; i < workers; i++) loads.push(startProcess(LOAD, { name: `${contender} load ${i + 1}`, files: Math.ceil(capacity / workers) }));
    const { url, client } = await server.call('start', { contender });
    const setup = {
      contender,
      server,
      loads,
      url,
      client,
      clients: 0,
      /** `count` more clients, spread over the load processes, all in the room when it resolves. */
      async connect(count) {
        await Promise.all(loads.map((load, i) => load.call('connect', { kind: client, url, count: share(count, loads.length, i) })));
        this.clients += count;
        await server.call('until', { joined: this.clients });
      },
      async stop() {
        await Promise.all(loads.map((load) => load.call('closeAll').catch(() => {})));
        await server.call('close').catch(() => {});
        await Promise.all([server, ...loads].map((p) => p.stop()));
      },
    };
    await setup.connect(clients);
    return setup;
  } catch (error) {
    await Promise.all([server, ...loads].map((p) => p.stop()));
    throw error;
  }
}

/** Process i's part of `total` spread over `n`. */
const share = (total, n, i) => Math.floor(total / n) + (i < total % n ? 1 : 0);

/** The contenders to run: the library only when it loads, and why not otherwise. */
async function withLibrary(contenders) {
  const missing = await libraryMissing();
  if (missing) log(`   ${missing}: measuring the others`);
  return { contenders: missing ? contenders.filter((c) => !c.startsWith('library')) : contenders, library: missing ? { missing } : { missing: null } };
}

/** Starts every contender, runs `measure`, and stops them all whatever happens. */
async function withContenders(contenders, clients, options, measure) {
  const setups = {};
  try {
    for (const c of contenders) {
      const t0 = Date.now();
      setups[c] = await startContender(c, clients, options);
      log(`   ${c}: ${clients} clients connected and in the room in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    return await measure(setups);
  } finally {
    for (const setup of Object.values(setups)) await setup.stop();
  }
}

/** Microseconds of CPU, user and system, between two process.cpuUsage() readings. */
const cpuTime = (before, after) => after.user - before.user + after.system - before.system;

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);

/** Per contender, the median over rounds of each key; and `ratio` of `key` to `reference`. */
function summarize(runs, keys, key, reference) {
  const out = { runs, contenders: {} };
  for (const [c, list] of Object.entries(runs)) out.contenders[c] = Object.fromEntries(keys.map((k) => [k, median(list.map((r) => r[k]))]));
  if (reference && runs[reference]) for (const c of Object.keys(runs)) out.contenders[c].ratio = out.contenders[c][key] / out.contenders[reference][key];
  return out;
}

/**
 * Fan-out: every client is in one room; one broadcast at a time, the next when every client
 * has the previous one. Frames delivered per second over the whole round, the latency of each
 * frame from the broadcast call to its receipt in the load process, and the CPU time per frame
 * delivered of the server and of the load processes (when theirs is the larger, the clients
 * set the pace).
 */
export async function serverFanout({ clients: sizes, frames, rounds, loadProcesses, contenders: asked = ['ws', 'library', 'socket.io'], reference = 'ws' }) {
  const { contenders, library } = await withLibrary(asked);
  const out = { library, sizes: [] };
  for (const clients of sizes) {
    const broadcasts = Math.max(1, Math.ceil(frames / clients));
    log(`   ${clients} clients, ${broadcasts} broadcasts a round`);
    const result = await withContenders(contenders, clients, { loadProcesses }, async (setups) => {
      const seqs = Object.fromEntries(contenders.map((c) => [c, 0]));
      const run = (count) => async (c) => {
        const { server, loads } = setups[c];
        // Only latencies of this round's broadcasts.
        await Promise.all(loads.map((load) => load.call('latencies')));
        const cpuBefore = await server.call('cpu');
        const loadCpuBefore = await Promise.all(loads.map((load) => load.call('cpu')));
        const t0 = performance.now();
        for (let i = 0; i < count; i++) {
          const seq = ++seqs[c];
          const all = Promise.all(loads.map((load) => load.call('until', { seq })));
          await server.call('broadcast', { seq });
          await all;
        }
        const ms = performance.now() - t0;
        const cpu = await server.call('cpu');
        const loadCpu = await Promise.all(loads.map((load) => load.call('cpu')));
        const parts = await Promise.all(loads.map((load) => load.call('latencies')));
        const outOfOrder = parts.reduce((sum, p) => sum + p.outOfOrder, 0);
        if (outOfOrder) throw new Error(`${c}: ${outOfOrder} frames arrived after their broadcast was complete`);
        const sorted = Float64Array.from(parts.flatMap((p) => [...p.latencies])).sort();
        const delivered = clients * count;
        if (sorted.length !== delivered) throw new Error(`${c}: ${sorted.length} frames delivered, expected ${delivered}`);
        return {
          ms,
          framesPerSecond: (delivered / ms) * 1000,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          serverCpuUsPerFrame: cpuTime(cpuBefore, cpu) / delivered,
          loadCpuUsPerFrame: loadCpu.reduce((sum, after, i) => sum + cpuTime(loadCpuBefore[i], after), 0) / delivered,
        };
      };
      return interleaved(contenders, run(broadcasts), { warmup: run(Math.max(1, Math.round(broadcasts / 10))), rounds });
    });
    const summary = summarize(result, ['framesPerSecond', 'p50Ms', 'p99Ms', 'serverCpuUsPerFrame', 'loadCpuUsPerFrame', 'ms'], 'framesPerSecond', reference);
    if (summary.contenders.library && summary.contenders['socket.io']) {
      summary.contenders.library.toSocketIo = summary.contenders.library.framesPerSecond / summary.contenders['socket.io'].framesPerSecond;
    }
    out.sizes.push({ clients, broadcasts, ...summary });
  }
  return out;
}

/**
 * Requests: `clients` clients, each with one request in flight, `total` round trips a round;
 * round trips per second, and each round trip's time in the load process.
 */
export async function serverRequests({ total, clients, rounds, loadProcesses }) {
  const { contenders, library } = await withLibrary(['ws', 'library', 'socket.io']);
  const runs = await withContenders(contenders, clients, { loadProcesses }, (setups) => {
    const run = (count) => async (c) => {
      const { loads } = setups[c];
      const parts = await Promise.all(loads.map((load, i) => load.call('requests', { total: share(count, loads.length, i) })));
      const ms = Math.max(...parts.map((p) => p.ms));
      const sorted = Float64Array.from(parts.flatMap((p) => [...p.latencies])).sort();
      return { ms, roundTripsPerSecond: (count / ms) * 1000, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    };
    return interleaved(contenders, run(total), { warmup: run(Math.max(clients, Math.round(total / 10))), rounds });
  });
  return { library, total, clients, ...summarize(runs, ['roundTripsPerSecond', 'p50Ms', 'p99Ms', 'ms'], 'roundTripsPerSecond', 'ws') };
}

/**
 * Memory: the server's heap per idle client, each round in a fresh server process. The heap is
 * read after collecting garbage with `warm` clients connected (so code compiled and structures
 * made at the first connections are not counted), then again with `clients` more: the
 * difference over `clients`.
 */
export async function serverMemory({ clients, rounds, loadProcesses }) {
  const { contenders, library } = await withLibrary(['ws', 'library']);
  const warm = 50;
  const run = (count) => async (c) => {
    const setup = await startContender(c, warm, { loadProcesses, capacity: warm + count, gc: true });
    try {
      const before = await setup.server.call('heap');
      const t0 = Date.now();
      await setup.connect(count);
      const ms = Date.now() - t0;
      const after = await setup.server.call('heap');
      return {
        ms,
        heapPerClient: (after.heapUsed - before.heapUsed) / count,
        rssPerClient: (after.rss - before.rss) / count,
        externalPerClient: (after.external - before.external) / count,
      };
    } finally {
      await setup.stop();
    }
  };
  const runs = await interleaved(contenders, run(clients), { warmup: run(Math.max(1, Math.round(clients / 10))), rounds });
  const out = { library, clients, ...summarize(runs, ['heapPerClient', 'rssPerClient', 'externalPerClient', 'ms'], 'heapPerClient', null) };
  if (out.contenders.library) out.contenders.library.heapAboveWs = out.contenders.library.heapPerClient - out.contenders.ws.heapPerClient;
  return out;
}

/**
 * Catch-up after a drop (issue 26): `clients` clients in the room, all their sockets destroyed at
 * once on the server's side (no close frame), `missed` broadcasts meanwhile, then every client
 * reconnects (as many at once as at the start). Timed from the reconnects' start until every
 * client has a live broadcast sent once all are back: with resume (`library-resume`) after it got
 * the `missed` frames from the room's history, plain (`library`) after its reconnect alone, the
 * missed frames lost. Each round checks that every resume client got all of them, and no plain one any.
 */
export async function resumeCatchup({ clients, missed, rounds, loadProcesses }) {
  const { contenders, library } = await withLibrary(['library', 'library-resume']);
  if (!contenders.length) return { library, clients, missed, runs: {}, contenders: {} };
  const runs = await withContenders(contenders, clients, { loadProcesses }, (setups) => {
    const seqs = Object.fromEntries(contenders.map((c) => [c, 0]));
    const run = (count) => async (c) => {
      const { server, loads } = setups[c];
      const droppedAll = Promise.all(loads.map((load) => load.call('dropped')));
      await server.call('drop');
      await Promise.all([droppedAll, server.call('empty')]);
      for (let i = 0; i < count; i++) await server.call('broadcast', { seq: ++seqs[c] });
      await Promise.all(loads.map((load) => load.call('latencies')));
      const live = ++seqs[c];
      const t0 = performance.now();
      await Promise.all(loads.map((load) => load.call('reconnect')));
      const reconnectedMs = performance.now() - t0;
      await server.call('until', { joined: clients });
      const all = Promise.all(loads.map((load) => load.call('until', { seq: live })));
      await server.call('broadcast', { seq: live });
      await all;
      const ms = performance.now() - t0;
      const parts = await Promise.all(loads.map((load) => load.call('caughtUp')));
      const fewest = Math.min(...parts.map((p) => p.fewest));
      const most = Math.max(...parts.map((p) => p.most));
      const unrecovered = parts.reduce((sum, p) => sum + p.unrecovered, 0);
      const expected = c === 'library-resume' ? count + 1 : 1;
      if (fewest !== expected || most !== expected || unrecovered) {
        throw new Error(`${c}: after the reconnect a client got ${fewest} to ${most} frames, expected ${expected}; ${unrecovered} resumed with recovered: false`);
      }
      return { ms, reconnectedMs, framesPerClient: expected };
    };
    return interleaved(contenders, run(missed), { warmup: run(Math.max(1, Math.round(missed / 10))), rounds });
  });
  return { library, clients, missed, ...summarize(runs, ['ms', 'reconnectedMs', 'framesPerClient'], 'ms', 'library') };
}
