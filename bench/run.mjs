// `npm run bench`: speed, size and memory of <bricks-websocket>, side by side with the
// raw WebSocket floor and the alternatives (issue 5); of its server library,
// bricks-websocket/server, side by side with a plain `ws` server and socket.io (issue 25); what
// resume costs and what it saves (issue 26); and many instances through Redis (issue 27).
//
// The element: one Chromium (the system's, headless), one bench server (bench/server.mjs), one
// page (bench/page.html). The server library: each server in its own Node process and its
// clients in others (bench/server/). Redis: a private redis-server and instances in processes of
// their own (bench/redis/). Every comparison runs its contenders interleaved, A B A B, for five
// rounds after one unmeasured warm-up, and reports medians. Method and analysis: docs/performance.md.
//
// Four sections (SECTIONS in bench/report.mjs), each a table of its own in docs/performance.md:
//   element   receive dispatch send base64 backpressure size memory requests sharing share-receive
//   server    server-fanout server-requests server-memory
//   resume    resume-receive resume-send resume-fanout resume-catchup
//   redis     redis-fanout (starts a private redis-server, as the tests do: scripts/redis.mjs)
//
//   npm run bench                         everything; table on stdout, bench/results.json
//   npm run bench -- --docs               also writes each section's table into docs/performance.md, and
//                                         their rows with a target into the README
//   npm run bench -- --only=resume-receive,resume-send,resume-fanout,resume-catchup --docs
//                                         whole sections only: merged into bench/results.json, and with --docs
//                                         written into their own tables, the other sections left as they are
//   npm run bench -- --only=receive,size  some measurements (partial)
//   npm run bench -- --rounds=3 --n=50000 quicker, for development (not comparable)
//   npm run bench -- --only=server-fanout --clients=200
//                                         the server rows with fewer clients (fan-out sizes, comma-separated; memory
//                                         takes the largest, catch-up and Redis the smallest); --fanout-frames,
//                                         --server-requests, --request-clients, --load-processes, --missed,
//                                         --redis-frames, --redis-rate and --redis-burst set the rest
//
// A run of whole sections with the default settings (all of them, by default) merges them into
// the committed bench/results.json (one entry per section: the run that measured it), and may
// write their tables into the docs. Any other run (part of a section, --rounds, --n, --cycles,
// --try, --profile, --clients, …) writes bench/out/results.json instead, and its table says what
// ran and how.
//   npm run bench -- --try=/tmp/bench-try also measures a scratch copy of this repository (a
//                                         proposed src/ change) as an extra contender `element-try`
//   npm run bench -- --profile=receive    CPU profile of the element's part of round 1, written to
//                                         bench/out/<name>-<contender>.cpuprofile, top functions
//                                         printed; --profile=receive:raw profiles another contender

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { findBrowser } from '../scripts/browsers.mjs';
import { buildElement, measureSizes } from './build.mjs';
import { startBenchServer } from './server.mjs';
import { SECTIONS, SERVER_MEASUREMENTS, formatTable, judge, targetsTable } from './report.mjs';
import { interleaved as interleavedRounds, median } from './rounds.mjs';
import { redisFanout } from './redis/measure.mjs';
import { assertOpenFiles } from './server/ipc.mjs';
import { defaultLoadProcesses, resumeCatchup, serverFanout, serverMemory, serverRequests } from './server/measure.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ALL = Object.values(SECTIONS).flat();

const args = Object.fromEntries(process.argv.slice(2).map((arg) => {
  const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
  return [key, value];
}));
const ROUNDS = Number(args.rounds ?? 5);
const N = Number(args.n ?? 200_000);
const BASE64_BYTES = 16 * 1024 * 1024;
// The flow-control row: clips of audio sent to a server that reads 1 MiB/s. Each round moves
// 68 MB of base64 at that rate, over a minute per contender, so it runs fewer rounds.
const CLIPS = Number(args.clips ?? 200);
const CLIP_BYTES = 256 * 1024;
const SLOW_READ_BYTES_PER_SECOND = 1024 * 1024;
const BACKPRESSURE_ROUNDS = Math.min(ROUNDS, Number(args['backpressure-rounds'] ?? 3));
const CYCLES = Number(args.cycles ?? 1000);
const REQUESTS = Number(args.requests ?? 10_000);
// The server rows: fan-out to each number of clients in CLIENTS, FANOUT_FRAMES frames delivered
// a round (so fewer broadcasts to more clients); memory at the largest number.
const CLIENTS = (args.clients ?? '1000,5000').split(',').map(Number);
const FANOUT_FRAMES = Number(args['fanout-frames'] ?? 100_000);
const SERVER_REQUESTS = Number(args['server-requests'] ?? 50_000);
const REQUEST_CLIENTS = Number(args['request-clients'] ?? 50);
const LOAD_PROCESSES = Number(args['load-processes'] ?? defaultLoadProcesses());
// Resume's catch-up: the smallest of CLIENTS (1,000 by default), MISSED frames sent while they are away.
const MISSED = Number(args.missed ?? 100);
// Redis: the smallest of CLIENTS per instance; latency of REDIS_FRAMES frames at REDIS_RATE a
// second (well below what one instance fans out on two cores, so the latency is the path's and
// not a queue's), throughput of a burst of REDIS_BURST.
const REDIS_FRAMES = Number(args['redis-frames'] ?? 50);
const REDIS_RATE = Number(args['redis-rate'] ?? 5);
const REDIS_BURST = Number(args['redis-burst'] ?? 500);
const only = args.only ? args.only.split(',') : ALL;
const BROWSER_MEASUREMENTS = ['receive', 'dispatch', 'send', 'base64', 'backpressure', 'memory', 'requests', 'sharing', 'share-receive', 'resume-receive', 'resume-send'];
// share-receive: elements on one page, each receiving N / SHARED_ELEMENTS frames.
const SHARED_ELEMENTS = 10;
const DEFAULTS = { rounds: 5, n: 200_000, cycles: 1000, requests: 10_000, clips: 200, 'backpressure-rounds': 3, clients: '1000,5000', 'fanout-frames': 100_000, 'server-requests': 50_000, 'request-clients': 50, 'load-processes': defaultLoadProcesses(), missed: 100, 'redis-frames': 50, 'redis-rate': 5, 'redis-burst': 500 };
const [profile = null, profiled = 'element'] = (args.profile ?? '').split(':').map((x) => x || null);
const TRY = args.try ?? null;
const withTry = (list) => (TRY ? list.flatMap((c) => (c === 'element' || c === 'element-declarative' ? [c, `${c}-try`] : [c])) : list);
const EVALUATE_TIMEOUT_MS = Number(args.timeout ?? 120) * 1000;

const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));
const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

/** The sections `names` covers whole, or null when it takes part of one. */
function wholeSections(names) {
  const sections = Object.keys(SECTIONS).filter((section) => SECTIONS[section].some((name) => names.includes(name)));
  return sections.every((section) => SECTIONS[section].every((name) => names.includes(name))) ? sections : null;
}
const sections = wholeSections(only);

/** What makes this run differ from one of whole sections with the default settings, as the flags that did it. */
function deviations() {
  const list = [];
  if (args.only && !sections) list.push(`--only=${args.only}`);
  const differs = (key, value) => (typeof value === 'number' ? Number(args[key]) !== value : args[key] !== value);
  for (const [key, value] of Object.entries(DEFAULTS)) if (args[key] !== undefined && differs(key, value)) list.push(`--${key}=${args[key]}`);
  if (TRY) list.push(`--try=${TRY}`);
  if (profile) list.push(`--profile=${args.profile}`);
  return list;
}

async function main() {
  const unknown = only.filter((name) => !ALL.includes(name));
  if (unknown.length) throw new Error(`--only: unknown measurement ${unknown.join(', ')}; use ${ALL.join(', ')}.`);
  const partial = deviations();
  // Refused before ten minutes of measuring, not after: the docs show whole sections with the default settings only.
  if (args.docs && partial.length) throw new Error(`--docs writes docs/performance.md from whole sections with the default settings only (${Object.keys(SECTIONS).map((section) => `${section}: ${SECTIONS[section].join(',')}`).join('; ')}); this one has ${partial.join(' ')}.`);
  // And before the browser's rows: the server process holds one socket a client.
  if (only.some((name) => SERVER_MEASUREMENTS.includes(name))) assertOpenFiles(Math.max(...CLIENTS));
  const started = Date.now();
  const loadBefore = load();
  log(`load average ${loadBefore.join(' ')} on ${os.cpus().length} cores`);
  // The server rows need no build of the element: they load the library from dist/.
  if (only.some((name) => name === 'size' || BROWSER_MEASUREMENTS.includes(name))) {
    log('building bench/out (tsc, rollup, esbuild)…');
    await buildElement(TRY);
  }

  const results = {
    date: new Date().toISOString(),
    browser: null,
    browserPath: null,
    machine: machine(),
    node: process.version,
    loadBefore,
    settings: { rounds: ROUNDS, n: N, base64Bytes: BASE64_BYTES, cycles: CYCLES, requests: REQUESTS, try: TRY, clips: CLIPS, clipBytes: CLIP_BYTES, slowReadBytesPerSecond: SLOW_READ_BYTES_PER_SECOND, backpressureRounds: BACKPRESSURE_ROUNDS, clients: CLIENTS, fanoutFrames: FANOUT_FRAMES, serverRequests: SERVER_REQUESTS, requestClients: REQUEST_CLIENTS, loadProcesses: LOAD_PROCESSES, missed: MISSED, redisFrames: REDIS_FRAMES, redisRate: REDIS_RATE, redisBurst: REDIS_BURST },
    ran: only,
    partial,
    measurements: {},
  };
  const inBrowser = only.filter((name) => BROWSER_MEASUREMENTS.includes(name));
  if (inBrowser.length) await measureInBrowser(inBrowser, results);
  for (const name of only.filter((n) => !BROWSER_MEASUREMENTS.includes(n))) {
    const t0 = Date.now();
    log(`── ${name}`);
    results.measurements[name] = await MEASUREMENTS[name]();
    log(`   ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  results.loadAfter = load();
  results.seconds = Math.round((Date.now() - started) / 1000);
  results.verdicts = judge(results);

  const table = formatTable(results);
  process.stdout.write(`${table}\n`);
  if (partial.length) {
    const file = path.join(REPO, 'bench/out/results.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`bench/out/results.json written; ${results.seconds} s; load average after ${results.loadAfter.join(' ')}`);
    log(`A partial run (${partial.join(' ')}): the committed bench/results.json is left as it was.`);
    return;
  }
  const file = path.join(REPO, 'bench/results.json');
  const committed = JSON.parse(readFileSync(file, 'utf8'));
  for (const section of sections) committed[section] = sectionResults(results, section);
  writeFileSync(file, `${JSON.stringify(committed, null, 2)}\n`);
  log(`bench/results.json: ${sections.join(', ')} written (${results.seconds} s; load average after ${results.loadAfter.join(' ')})`);
  if (args.docs) writeDocs(results, sections);
}

/** The run's results restricted to one section's measurements: what bench/results.json and the docs keep of it. */
function sectionResults(results, section) {
  const measurements = Object.fromEntries(SECTIONS[section].filter((name) => results.measurements[name]).map((name) => [name, results.measurements[name]]));
  const inBrowser = SECTIONS[section].some((name) => BROWSER_MEASUREMENTS.includes(name));
  const view = { ...results, ...(inBrowser ? {} : { browser: null, browserPath: null }), ran: Object.keys(measurements), measurements };
  view.verdicts = judge(view);
  return view;
}

/** The measurements that run in Chromium, in the order asked, on one page. */
async function measureInBrowser(names, results) {
  const server = await startBenchServer();
  const chrome = findBrowser('chrome');
  if (!chrome) throw new Error('No Chromium or Chrome found; install chromium or set CHROME_PATH (see scripts/browsers.mjs).');
  const browser = await puppeteer.launch({
    executablePath: chrome,
    headless: true,
    protocolTimeout: 600_000,
    args: [
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--no-first-run',
      '--js-flags=--expose-gc',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
  results.browser = await browser.version();
  results.browserPath = chrome;
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => log('page error:', error.message));
    page.on('console', (msg) => msg.type() === 'error' && log('page console:', msg.text()));
    await page.goto(`${server.origin}/bench/page.html${TRY ? '?try' : ''}`);
    await page.waitForFunction('window.benchReady === true');
    const cdp = await page.createCDPSession();
    const ctx = { page, cdp, server, results };

    for (const name of names) {
      const t0 = Date.now();
      log(`── ${name}`);
      results.measurements[name] = await MEASUREMENTS[name](ctx);
      log(`   ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** interleaved() with this run's number of rounds unless told otherwise. */
const interleaved = (contenders, once, options = {}) => interleavedRounds(contenders, once, { rounds: ROUNDS, ...options });

/** Profiles `work` with the CDP sampling profiler when --profile names this measurement. */
async function maybeProfile(ctx, name, contender, round, work) {
  if (profile !== name || contender !== profiled || round !== 0) return work();
  await ctx.cdp.send('Profiler.enable');
  await ctx.cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await ctx.cdp.send('Profiler.start');
  const result = await work();
  const { profile: cpuProfile } = await ctx.cdp.send('Profiler.stop');
  const file = path.join(REPO, 'bench/out', `${name}-${contender}.cpuprofile`);
  writeFileSync(file, JSON.stringify(cpuProfile));
  log(`   profile: ${path.relative(REPO, file)}`);
  log(summarizeProfile(cpuProfile));
  return result;
}

/** Self time per function, largest first. */
function summarizeProfile(cpuProfile) {
  const byNode = new Map(cpuProfile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = cpuProfile.timeDeltas;
  let total = 0;
  cpuProfile.samples.forEach((id, i) => {
    const dt = deltas[i + 1] ?? 0;
    const { functionName, url, lineNumber, columnNumber } = byNode.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return rows.map(([key, us]) => `   ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(7)} ms  ${key}`).join('\n');
}

/** page.evaluate with a deadline, so a stuck contender fails the run instead of hanging it. */
function evaluate(ctx, label, fn, ...params) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result after ${EVALUATE_TIMEOUT_MS / 1000} s`)), EVALUATE_TIMEOUT_MS);
  });
  return Promise.race([ctx.page.evaluate(fn, ...params), deadline]).finally(() => clearTimeout(timer));
}

/**
 * The longest task on the page's main thread from a Chrome trace ('toplevel' category): wall
 * time, and thread CPU time, which a busy machine that deschedules the renderer cannot inflate.
 */
function longestTask(trace) {
  const events = trace.traceEvents ?? trace;
  // Several renderers have a CrRendererMain; the page's is the one that worked the most.
  const mains = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => [`${e.pid}:${e.tid}`, { busy: 0, wall: 0, cpu: 0 }]));
  for (const e of events) {
    const thread = mains.get(`${e.pid}:${e.tid}`);
    if (!thread || e.ph !== 'X' || !/RunTask/.test(e.name)) continue;
    thread.busy += e.dur ?? 0;
    thread.wall = Math.max(thread.wall, (e.dur ?? 0) / 1000);
    thread.cpu = Math.max(thread.cpu, (e.tdur ?? 0) / 1000);
  }
  const page = [...mains.values()].sort((a, b) => b.busy - a.busy)[0];
  return page ? { longestTaskMs: page.wall, longestTaskCpuMs: page.cpu } : { longestTaskMs: null, longestTaskCpuMs: null };
}

const gcNow = async (ctx) => {
  await ctx.cdp.send('HeapProfiler.collectGarbage');
  await ctx.cdp.send('HeapProfiler.collectGarbage');
};

async function waitForSockets(server, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (server.openSockets() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return server.openSockets();
}

/** Receive throughput of `contenders` (bench/page.js receive()), ratios to `reference`; `name` for --profile. */
async function receiveRow(ctx, name, contenders, reference) {
  const run = (n) => async (c, round) => {
    const url = `${ctx.server.wsBase}/flood?n=${n}`;
    const r = await maybeProfile(ctx, name, c, round, () => evaluate(ctx, `${name} ${c}`, (c, url, n) => window.bench.receive(c, url, n), c, url, n));
    await waitForSockets(ctx.server);
    return { ms: r.ms, framesPerSecond: (n / r.ms) * 1000 };
  };
  const runs = await interleaved(contenders, run(N), { warmup: run(Math.round(N / 10)) });
  return summarize(runs, 'framesPerSecond', reference);
}

/** Send throughput until the server has every frame (bench/page.js send()), ratios to `reference`. */
async function sendRow(ctx, name, contenders, reference) {
  const run = (n) => async (c, round) => {
    const url = `${ctx.server.wsBase}/sink?expect=${n}`;
    const r = await maybeProfile(ctx, name, c, round, () => evaluate(ctx, `${name} ${c}`, (c, url, n) => window.bench.send(c, url, n), c, url, n));
    await waitForSockets(ctx.server);
    return { ms: r.ms, loopMs: r.loopMs, framesPerSecond: (n / r.ms) * 1000, loopNsPerCall: (r.loopMs * 1e6) / n };
  };
  const runs = await interleaved(contenders, run(N), { warmup: run(Math.round(N / 10)) });
  const out = summarize(runs, 'framesPerSecond', reference);
  for (const c of contenders) out.contenders[c].loopNsPerCall = median(runs[c].map((r) => r.loopNsPerCall));
  return out;
}

const MEASUREMENTS = {
  receive: (ctx) => receiveRow(ctx, 'receive', withTry(['raw', 'element', 'element-declarative', 'partysocket', 'reconnecting-websocket']), 'raw'),

  async dispatch(ctx) {
    const contenders = withTry(['parse', 'event-target', 'node-event', 'element', 'element-declarative']);
    const runs = await interleaved(contenders, async (c, round) => {
      const r = await maybeProfile(ctx, 'dispatch', c, round, () => evaluate(ctx, `dispatch ${c}`, (c, n) => window.bench.dispatch(c, n), c, N));
      return { ms: r.ms, nsPerFrame: (r.ms * 1e6) / N };
    });
    const out = summarize(runs, 'nsPerFrame', 'parse');
    for (const c of contenders.filter((c) => c !== 'parse')) {
      const over = runs[c].map((r, i) => r.nsPerFrame - runs.parse[i].nsPerFrame);
      out.contenders[c].overheadNsPerFrame = median(over);
      out.contenders[c].overheadNsPerFramePerRound = over;
    }
    out.overheadNsPerFrame = out.contenders.element.overheadNsPerFrame;
    return out;
  },

  send: (ctx) => sendRow(ctx, 'send', withTry(['raw', 'element']), 'raw'),

  // Resume (issue 26): the element with and without it, against the same bench server, which
  // speaks resume to a socket that asks (bench/server.mjs). No --try contender here.
  'resume-receive': (ctx) => receiveRow(ctx, 'resume-receive', ['element', 'element-resume'], 'element'),
  'resume-send': (ctx) => sendRow(ctx, 'resume-send', ['element', 'element-resume'], 'element'),

  async base64(ctx) {
    const hasNative = await ctx.page.evaluate(() => window.bench.hasToBase64());
    const contenders = withTry(['element', ...(hasNative ? ['toBase64'] : []), 'FileReader']);
    const runs = await interleaved(contenders, async (c, round) => {
      const url = `${ctx.server.wsBase}/sink?expect=1`;
      await ctx.page.tracing.start({ categories: ['toplevel'] });
      const r = await maybeProfile(ctx, 'base64', c, round, () => evaluate(ctx, `base64 ${c}`, (c, url, bytes) => window.bench.base64(c, url, bytes), c, url, BASE64_BYTES));
      const trace = JSON.parse(new TextDecoder().decode(await ctx.page.tracing.stop()));
      Object.assign(r, longestTask(trace));
      await waitForSockets(ctx.server);
      return r;
    });
    const out = summarize(runs, 'ms', null);
    for (const c of contenders) {
      for (const key of ['longestTaskMs', 'longestTaskCpuMs', 'probeGapMs']) {
        out.contenders[c][key] = median(runs[c].map((r) => r[key]));
        out.contenders[c][`worst${key[0].toUpperCase()}${key.slice(1)}`] = Math.max(...runs[c].map((r) => r[key]));
      }
    }
    const natives = contenders.filter((c) => !c.startsWith('element'));
    out.fastestNative = natives.reduce((a, b) => (out.contenders[a].ms <= out.contenders[b].ms ? a : b));
    for (const c of contenders) out.contenders[c].ratioToFastestNative = out.contenders[c].ms / out.contenders[out.fastestNative].ms;
    out.ratioToFastestNative = out.contenders.element.ratioToFastestNative;
    return out;
  },

  async backpressure(ctx) {
    // No --try contender here: the contenders are settings of one element.
    const contenders = ['limit-1MiB', 'limit-0', 'limit-1MiB-drain'];
    const run = (clips) => async (c) => {
      const url = `${ctx.server.wsBase}/sink?expect=${clips}&rate=${SLOW_READ_BYTES_PER_SECOND}`;
      await gcNow(ctx);
      const { usedSize: heapBefore } = await ctx.cdp.send('Runtime.getHeapUsage');
      // The JS heap, sampled from outside the page every 50 ms while it runs.
      let peakHeap = heapBefore;
      let running = true;
      const sampling = (async () => {
        while (running) {
          const { usedSize } = await ctx.cdp.send('Runtime.getHeapUsage');
          peakHeap = Math.max(peakHeap, usedSize);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      let r;
      try {
        r = await evaluate(ctx, `backpressure ${c}`, (c, url, clips, bytes) => window.bench.backpressure(c, url, clips, bytes), c, url, clips, CLIP_BYTES);
      } finally {
        running = false;
        await sampling;
      }
      await waitForSockets(ctx.server);
      return { ...r, heapBefore, peakHeap, peakHeapGrowth: peakHeap - heapBefore };
    };
    const runs = await interleaved(contenders, run(CLIPS), { warmup: run(10), rounds: BACKPRESSURE_ROUNDS });
    const out = { runs, contenders: {} };
    for (const c of contenders) {
      const of = (key) => median(runs[c].map((r) => r[key]));
      out.contenders[c] = {
        lastCallToServerMs: of('lastCallToServerMs'),
        totalMs: of('totalMs'),
        callsMs: of('callsMs'),
        peakBuffered: of('peakBuffered'),
        maxPeakBuffered: Math.max(...runs[c].map((r) => r.peakBuffered)),
        peakQueued: of('peakQueued'),
        peakHeapGrowth: of('peakHeapGrowth'),
        peakHeap: of('peakHeap'),
      };
    }
    return out;
  },

  async size() {
    return { rows: await measureSizes(TRY) };
  },

  // The server library (bench/server/measure.mjs): no browser, no --try.
  'server-fanout': () => serverFanout({ clients: CLIENTS, frames: FANOUT_FRAMES, rounds: ROUNDS, loadProcesses: LOAD_PROCESSES }),
  'server-requests': () => serverRequests({ total: SERVER_REQUESTS, clients: REQUEST_CLIENTS, rounds: ROUNDS, loadProcesses: LOAD_PROCESSES }),
  'server-memory': () => serverMemory({ clients: Math.max(...CLIENTS), rounds: ROUNDS, loadProcesses: LOAD_PROCESSES }),
  'resume-fanout': () => serverFanout({ clients: CLIENTS, frames: FANOUT_FRAMES, rounds: ROUNDS, loadProcesses: LOAD_PROCESSES, contenders: ['library', 'library-resume'], reference: 'library' }),
  'resume-catchup': () => resumeCatchup({ clients: Math.min(...CLIENTS), missed: MISSED, rounds: ROUNDS, loadProcesses: LOAD_PROCESSES }),
  // Redis (issue 27): a private redis-server for the row, stopped after it.
  'redis-fanout': () => redisFanout({ clients: Math.min(...CLIENTS), rounds: ROUNDS, frames: REDIS_FRAMES, rate: REDIS_RATE, burst: REDIS_BURST }),

  async memory(ctx) {
    const contenders = withTry(['element', 'raw']);
    const url = `${ctx.server.wsBase}/hello`;
    const metrics = async () => {
      await gcNow(ctx);
      const { usedSize } = await ctx.cdp.send('Runtime.getHeapUsage');
      const { metrics: list } = await ctx.cdp.send('Performance.getMetrics');
      const m = Object.fromEntries(list.map(({ name, value }) => [name, value]));
      return { heap: usedSize, nodes: m.Nodes, listeners: m.JSEventListeners };
    };
    await ctx.cdp.send('Performance.enable');
    const runs = await interleaved(contenders, async (c) => {
      await waitForSockets(ctx.server);
      const before = await metrics();
      const t0 = Date.now();
      await evaluate(ctx, `memory ${c}`, (c, url, k) => window.bench.cycles(c, url, k), c, url, CYCLES);
      const ms = Date.now() - t0;
      const socketsLeft = await waitForSockets(ctx.server);
      const after = await metrics();
      return { ms, socketsLeft, heapGrowth: after.heap - before.heap, nodeGrowth: after.nodes - before.nodes, listenerGrowth: after.listeners - before.listeners };
    }, { warmup: async (c) => evaluate(ctx, `memory warm-up ${c}`, (c, url) => window.bench.cycles(c, url, 50), c, url) });
    const out = { runs, contenders: {} };
    for (const c of contenders) {
      out.contenders[c] = {
        heapGrowth: median(runs[c].map((r) => r.heapGrowth)),
        maxHeapGrowth: Math.max(...runs[c].map((r) => r.heapGrowth)),
        socketsLeft: Math.max(...runs[c].map((r) => r.socketsLeft)),
        nodeGrowth: median(runs[c].map((r) => r.nodeGrowth)),
        listenerGrowth: median(runs[c].map((r) => r.listenerGrowth)),
        ms: median(runs[c].map((r) => r.ms)),
      };
    }
    return out;
  },

  async requests(ctx) {
    const url = `${ctx.server.wsBase}/answer`;
    const heap = async () => {
      await gcNow(ctx);
      return (await ctx.cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const runs = await interleaved(['element'], async () => {
      const before = await heap();
      const result = await evaluate(ctx, 'requests', (url, k) => window.bench.requests(url, k), url, REQUESTS);
      return { ...result, heapGrowth: (await heap()) - before };
    }, { warmup: async () => evaluate(ctx, 'requests warm-up', (url) => window.bench.requests(url, 1000), url) });
    const e = runs.element;
    return {
      runs,
      contenders: {
        element: {
          heapGrowth: median(e.map((r) => r.heapGrowth)),
          maxHeapGrowth: Math.max(...e.map((r) => r.heapGrowth)),
          pending: Math.max(...e.map((r) => r.pending)),
          ms: median(e.map((r) => r.ms)),
        },
      },
    };
  },

  /**
   * Receive throughput per element, 10 elements on one page: one socket with `share="page"`
   * (one flood, every frame to every element) vs. a socket each (a flood each).
   */
  async 'share-receive'(ctx) {
    const n = Math.round(N / SHARED_ELEMENTS);
    const contenders = ['own', 'page'];
    const run = (frames) => async (c, round) => {
      const url = `${ctx.server.wsBase}/flood?n=${frames}`;
      const r = await maybeProfile(ctx, 'share-receive', c, round, () => evaluate(ctx, `share-receive ${c}`, (mode, url, n, k) => window.bench.receiveShared(mode, url, n, k), c === 'own' ? '' : c, url, frames, SHARED_ELEMENTS));
      await waitForSockets(ctx.server);
      return r;
    };
    const runs = await interleaved(contenders, run(n), { warmup: run(Math.round(n / 10)) });
    const out = summarize(runs, 'perElementFramesPerSecond', 'own');
    for (const c of contenders) out.contenders[c].eventsPerSecond = median(runs[c].map((r) => r.eventsPerSecond));
    out.elements = SHARED_ELEMENTS;
    out.framesPerElement = n;
    return out;
  },

  /** Connections the server holds: 10 elements on one page, and one element in each of 4 tabs. A count, not a timing. */
  async sharing(ctx) {
    const url = `${ctx.server.wsBase}/hello`;
    const held = async (pages, mode, perPage) => {
      await Promise.all(pages.map((page) => page.evaluate((mode, url, n) => window.bench.share(mode, url, n), mode, url, perPage)));
      const open = ctx.server.openSockets();
      await Promise.all(pages.map((page) => page.evaluate(() => window.bench.unshare())));
      await waitForSockets(ctx.server);
      return open;
    };
    const out = { page: { none: await held([ctx.page], '', 10), shared: await held([ctx.page], 'page', 10) } };
    const tabs = [ctx.page];
    try {
      for (let i = 1; i < 4; i++) {
        const tab = await ctx.page.browser().newPage();
        tabs.push(tab);
        await tab.goto(ctx.page.url());
        await tab.waitForFunction('window.benchReady === true');
      }
      out.tabs = { none: await held(tabs, '', 1), shared: await held(tabs, 'tabs', 1) };
    } finally {
      for (const tab of tabs.slice(1)) await tab.close();
    }
    return out;
  },
};

/** Medians per contender of `key` (and ms), with ratios to `reference` when there is one. */
function summarize(runs, key, reference) {
  const out = { runs, contenders: {} };
  for (const [c, list] of Object.entries(runs)) {
    out.contenders[c] = { [key]: median(list.map((r) => r[key])), ms: median(list.map((r) => r.ms)) };
  }
  if (reference) {
    for (const c of Object.keys(runs)) out.contenders[c].ratio = out.contenders[c][key] / out.contenders[reference][key];
  }
  return out;
}

/** Each section's block, the same markers in docs/performance.md (its table) and the README (its rows with a target). */
const BLOCKS = {
  element: { start: '<!-- bench:start (written by `npm run bench -- --docs`) -->', end: '<!-- bench:end -->' },
  server: { start: '<!-- bench:server:start (written by `npm run bench -- --docs`) -->', end: '<!-- bench:server:end -->' },
  resume: { start: '<!-- bench:resume:start (written by `npm run bench -- --docs`) -->', end: '<!-- bench:resume:end -->' },
  redis: { start: '<!-- bench:redis:start (written by `npm run bench -- --docs`) -->', end: '<!-- bench:redis:end -->' },
};

/** Replaces the tables of the sections that ran, in docs/performance.md and the README; the others stay as they are. */
function writeDocs(results, ran) {
  for (const section of ran) {
    const table = formatTable(sectionResults(results, section));
    replaceBlock('docs/performance.md', table, BLOCKS[section]);
    replaceBlock('README.md', targetsTable(table), BLOCKS[section]);
  }
}

function replaceBlock(name, content, { start, end }) {
  const file = path.join(REPO, name);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(start)) throw new Error(`${name} has no ${start} block.`);
  const block = `${start}\n${content}\n${end}`;
  writeFileSync(file, text.replace(new RegExp(`${escape(start)}[\\s\\S]*?${escape(end)}`), () => block));
  log(`${name}: ${start.match(/bench:(\w+:)?start/)[0]} table updated`);
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
