// Turns bench results into verdicts against the targets (issue 5; receive and dispatch from
// issue 17; the server rows from issue 25; resume's from issue 26; Redis' from issue 27), and
// into markdown tables.

const KB = 1024; // sizes: 1 KB = 1,024 bytes
const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmtKB = (bytes) => `${(bytes / KB).toFixed(2)} KB`;
const fmtMs = (ms) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
const mark = (ok) => (ok === undefined ? '' : ok ? '✓' : '✗');

/**
 * The sections of `npm run bench`, each a table of its own in docs/performance.md and its rows
 * with a target in the README: the element, the server library, resume (both halves), Redis.
 */
export const SECTIONS = {
  element: ['receive', 'dispatch', 'send', 'base64', 'backpressure', 'size', 'memory', 'requests', 'sharing', 'share-receive'],
  server: ['server-fanout', 'server-requests', 'server-memory'],
  resume: ['resume-receive', 'resume-send', 'resume-fanout', 'resume-catchup'],
  redis: ['redis-fanout'],
};
/** The measurements of the server library in processes of their own (bench/server/). */
export const SERVER_MEASUREMENTS = [...SECTIONS.server, 'resume-fanout', 'resume-catchup'];
const RESUME_TARGET = '≥ 0.9 of without';
const REDIS_TARGET = "ahead of socket.io's adapter; other instance's p99 ≤ 2× same instance's";
const FANOUT_TARGET = '≥ 0.9 of the floor and ≥ 2× socket.io';
const MEMORY_TARGET_BYTES = 10 * KB;

/** Target by target: `{ok, detail}`; absent measurements are skipped. */
export function judge(results) {
  const m = results.measurements;
  const v = {};
  if (m.receive) {
    const c = m.receive.contenders;
    const rws = 'reconnecting-websocket';
    // Paired rounds: the element's frames/s against reconnecting-websocket's in the same round.
    const ahead = m.receive.runs.element.filter((r, i) => r.framesPerSecond > m.receive.runs[rws][i].framesPerSecond).length;
    const rounds = m.receive.runs.element.length;
    v.receive = {
      ok: c.element.ratio >= 0.92 && c.element.ratio >= c[rws].ratio && ahead * 5 >= rounds * 3,
      detail: `element ${c.element.ratio.toFixed(2)} of floor (target ≥ 0.92 and ≥ reconnecting-websocket), ahead of reconnecting-websocket in ${ahead} of ${rounds} rounds (target ≥ 3 of 5); partysocket ${c.partysocket.ratio.toFixed(2)}, reconnecting-websocket ${c[rws].ratio.toFixed(2)}`,
      ahead,
      rounds,
    };
  }
  if (m.dispatch) v.dispatch = { ok: m.dispatch.overheadNsPerFrame <= 1500, detail: `${fmtInt(m.dispatch.overheadNsPerFrame)} ns/frame over JSON.parse (target ≤ 1,500)` };
  if (m.send) v.send = { ok: m.send.contenders.element.ratio >= 0.95, detail: `${m.send.contenders.element.ratio.toFixed(2)} of raw (target ≥ 0.95)` };
  if (m.base64) {
    const e = m.base64.contenders.element;
    v.base64 = {
      ok: m.base64.ratioToFastestNative <= 1.5 && e.worstLongestTaskCpuMs <= 50,
      detail: `${m.base64.ratioToFastestNative.toFixed(2)}× ${m.base64.fastestNative} (target ≤ 1.5×); longest main-thread task ${fmtMs(e.worstLongestTaskCpuMs)} CPU, ${fmtMs(e.worstLongestTaskMs)} wall (target ≤ 50 ms)`,
    };
  }
  if (m.size) {
    const row = (id) => m.size.rows.find((r) => r.id === id);
    v.sizeElement = { ok: row('element').gzip <= 8 * KB, detail: `${fmtKB(row('element').gzip)} min+gzip (target ≤ 8.00 KB)` };
    v.sizeCdn = { ok: row('cdn-esm').gzip <= 14 * KB, detail: `${fmtKB(row('cdn-esm').gzip)} min+gzip (target ≤ 14.00 KB)` };
  }
  if (m.memory) {
    const e = m.memory.contenders.element;
    v.memory = { ok: e.socketsLeft === 0 && e.maxHeapGrowth < KB * KB, detail: `${e.socketsLeft} sockets left, heap ${signedKB(e.heapGrowth)} median, ${signedKB(e.maxHeapGrowth)} worst (target < 1 MB)` };
  }
  if (m.requests) {
    const e = m.requests.contenders.element;
    v.requests = { ok: e.pending === 0 && e.maxHeapGrowth < KB * KB, detail: `${e.pending} pending after, heap ${signedKB(e.heapGrowth)} median, ${signedKB(e.maxHeapGrowth)} worst (target 0 pending, < 1 MB)` };
  }
  // The server's targets are judged only when the library was measured; without it, no verdict.
  for (const size of m['server-fanout']?.sizes ?? []) {
    const c = size.contenders;
    if (!c.library) continue;
    v[`server-fanout-${size.clients}`] = {
      ok: c.library.ratio >= 0.9 && c.library.toSocketIo >= 2,
      detail: `${size.clients} clients: library ${c.library.ratio.toFixed(2)} of the ws floor (target ≥ 0.9), ${c.library.toSocketIo.toFixed(2)}× socket.io (target ≥ 2×)`,
    };
  }
  for (const name of ['resume-receive', 'resume-send']) {
    const resume = m[name]?.contenders['element-resume'];
    if (resume) v[name] = { ok: resume.ratio >= 0.9, detail: `with resume ${resume.ratio.toFixed(2)} of without (target ≥ 0.9)` };
  }
  const redis = m['redis-fanout']?.contenders;
  if (redis?.['bricks-redis'] && redis['socket.io-redis']) {
    const { deliveriesPerSecond, latency } = redis['bricks-redis'];
    const toSocketIo = deliveriesPerSecond / redis['socket.io-redis'].deliveriesPerSecond;
    const crossToSame = latency.B.p99Ms / latency.A.p99Ms;
    v['redis-fanout'] = {
      ok: toSocketIo > 1 && crossToSame <= 2,
      detail: `two instances through Redis: ${toSocketIo.toFixed(2)}× socket.io's adapter (target > 1), other instance's p99 ${crossToSame.toFixed(2)}× the publishing instance's (target ≤ 2)`,
      toSocketIo,
      crossToSame,
    };
  }
  const memory = m['server-memory']?.contenders;
  if (memory?.library) {
    v['server-memory'] = { ok: memory.library.heapAboveWs < MEMORY_TARGET_BYTES, detail: `${signedKB(memory.library.heapAboveWs)} heap per idle client above plain ws (target < 10 KB)` };
  }
  return v;
}

const signedKB = (bytes) => `${bytes >= 0 ? '+' : '−'}${fmtKB(Math.abs(bytes))}`;

/** The table of `names` (by default every measurement of the run), with what ran and where above it. */
export function formatTable(results, names = Object.keys(results.measurements)) {
  const m = Object.fromEntries(names.filter((name) => results.measurements[name]).map((name) => [name, results.measurements[name]]));
  const v = results.verdicts;
  const { settings } = results;
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);

  if (m.receive) {
    const c = m.receive.contenders;
    const title = `Receive ${fmtInt(settings.n)} frames`;
    const line = (id, label, first, target, ok) => row(first ? title : '', label, `${fmtInt(c[id].framesPerSecond)} frames/s`, c[id].ratio.toFixed(2), target, mark(ok));
    line('raw', 'raw `WebSocket` + `JSON.parse` + call (floor)', true, '', undefined);
    line('element', `\`<bricks-websocket>\` + \`tick\` listener (ahead of reconnecting-websocket in ${v.receive.ahead} of ${v.receive.rounds} rounds)`, false, '≥ 0.92 and ≥ reconnecting-websocket, ahead in ≥ 3 of 5 rounds', v.receive.ok);
    if (c['element-try']) line('element-try', '`<bricks-websocket>`, proposed change (`--try`)', false, '', undefined);
    if (c['element-declarative']) line('element-declarative', '`<bricks-websocket>` + `tick` listener + 3 `data-receive="tick"` descendants', false, '', undefined);
    if (c['element-declarative-try']) line('element-declarative-try', 'the same, proposed change (`--try`)', false, '', undefined);
    line('partysocket', 'partysocket + `JSON.parse` + `EventTarget`', false, '', undefined);
    line('reconnecting-websocket', 'reconnecting-websocket + `JSON.parse` + `EventTarget`', false, '', undefined);
  }
  if (m.dispatch) {
    const c = m.dispatch.contenders;
    row(`Dispatch ${fmtInt(settings.n)} frames, no network`, '`JSON.parse` + call', `${fmtInt(c.parse.nsPerFrame)} ns/frame`, '', '', '');
    if (c['event-target']) row('', '`JSON.parse` + a `CustomEvent` on an `EventTarget` (any library\'s floor)', `${fmtInt(c['event-target'].nsPerFrame)} ns/frame`, `+${fmtInt(c['event-target'].overheadNsPerFrame)} ns/frame`, '', '');
    if (c['node-event']) row('', '`JSON.parse` + a `CustomEvent` on an element in the document (the contract\'s floor)', `${fmtInt(c['node-event'].nsPerFrame)} ns/frame`, `+${fmtInt(c['node-event'].overheadNsPerFrame)} ns/frame`, '', '');
    row('', 'the element\'s message path (fake socket)', `${fmtInt(c.element.nsPerFrame)} ns/frame`, `+${fmtInt(m.dispatch.overheadNsPerFrame)} ns/frame`, '≤ 1,500 ns/frame over `JSON.parse`', mark(v.dispatch.ok));
    if (c['element-try']) row('', 'the same, proposed change (`--try`)', `${fmtInt(c['element-try'].nsPerFrame)} ns/frame`, `+${fmtInt(c['element-try'].overheadNsPerFrame)} ns/frame`, '', '');
    if (c['element-declarative']) row('', 'the same with 3 `data-receive="tick"` descendants', `${fmtInt(c['element-declarative'].nsPerFrame)} ns/frame`, `+${fmtInt(c['element-declarative'].overheadNsPerFrame)} ns/frame`, '', '');
    if (c['element-declarative-try']) row('', 'the same with 3 receivers, proposed change (`--try`)', `${fmtInt(c['element-declarative-try'].nsPerFrame)} ns/frame`, `+${fmtInt(c['element-declarative-try'].overheadNsPerFrame)} ns/frame`, '', '');
  }
  if (m.send) {
    const c = m.send.contenders;
    const cell = (id) => `${fmtInt(c[id].framesPerSecond)} frames/s (calls: ${fmtInt(c[id].loopNsPerCall)} ns each)`;
    row(`Send ${fmtInt(settings.n)} frames until the server has all`, '`ws.send(JSON.stringify({type, data}))`', cell('raw'), '1.00', '', '');
    row('', '`element.send(type, data)`', cell('element'), c.element.ratio.toFixed(2), '≥ 0.95', mark(v.send.ok));
    if (c['element-try']) row('', '`element.send`, proposed change (`--try`)', cell('element-try'), c['element-try'].ratio.toFixed(2), '', '');
  }
  if (m.base64) {
    const c = m.base64.contenders;
    const cell = (id) => `${fmtMs(c[id].ms)}; longest task ${fmtMs(c[id].longestTaskCpuMs)} CPU, ${fmtMs(c[id].longestTaskMs)} wall (worst of ${settings.rounds}: ${fmtMs(c[id].worstLongestTaskCpuMs)} CPU)`;
    const title = `Base64 of ${settings.base64Bytes / 2 ** 20} MiB, encoded and handed to the socket`;
    let first = true;
    if (c.toBase64) { row(title, '`Uint8Array.prototype.toBase64`', cell('toBase64'), '', '', ''); first = false; }
    row(first ? title : '', '`FileReader.readAsDataURL`', cell('FileReader'), '', '', '');
    row('', '`sendBase64Audio(buffer)`', cell('element'), `${m.base64.ratioToFastestNative.toFixed(2)}× fastest`, '≤ 1.5× fastest native, no block > 50 ms', mark(v.base64.ok));
    if (c['element-try']) row('', '`sendBase64Audio`, proposed change (`--try`)', cell('element-try'), `${c['element-try'].ratioToFastestNative.toFixed(2)}× fastest`, '', '');
  }
  if (m.backpressure) {
    const c = m.backpressure.contenders;
    const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
    const cell = (id) => `peak \`bufferedAmount\` ${mb(c[id].peakBuffered)}, queue ${fmtInt(c[id].peakQueued)} frames; peak JS heap +${mb(c[id].peakHeapGrowth)}; last call → server has all ${s(c[id].lastCallToServerMs)} (first call → all ${s(c[id].totalMs)})`;
    const title = `Send ${fmtInt(settings.clips)} clips of ${settings.clipBytes / 1024} KiB with \`sendBase64Audio\` to a server reading ${settings.slowReadBytesPerSecond / 2 ** 20} MiB/s (${settings.backpressureRounds} round${settings.backpressureRounds === 1 ? '' : 's'})`;
    row(title, '`buffer-limit` 1 MiB (default), all calls at once', cell('limit-1MiB'), '', '', '');
    row('', '`buffer-limit="0"`, all calls at once', cell('limit-0'), '', '', '');
    row('', '`buffer-limit` 1 MiB, each call awaited, `drain` awaited while `backpressure`', cell('limit-1MiB-drain'), '', '', '');
  }
  if (m.size) {
    const targets = { element: ['≤ 8.00 KB min+gzip', v.sizeElement.ok], 'cdn-esm': ['≤ 14.00 KB min+gzip', v.sizeCdn.ok] };
    m.size.rows.forEach((r, i) => {
      const [target = '', ok] = targets[r.id] ?? [];
      row(i === 0 ? 'Size: min / min+gzip / min+brotli' : '', r.label, `${fmtKB(r.min)} / **${fmtKB(r.gzip)}** / ${fmtKB(r.brotli)}`, '', target, mark(ok));
    });
  }
  if (m.memory) {
    const c = m.memory.contenders;
    const cell = (id) => `heap ${signedKB(c[id].heapGrowth)} (worst ${signedKB(c[id].maxHeapGrowth)}), ${c[id].socketsLeft} sockets left, DOM nodes ${c[id].nodeGrowth >= 0 ? '+' : ''}${c[id].nodeGrowth}, listeners ${c[id].listenerGrowth >= 0 ? '+' : ''}${c[id].listenerGrowth}`;
    row(`Memory: ${fmtInt(settings.cycles)} cycles of create, connect, receive a frame, remove`, '`<bricks-websocket>`', cell('element'), '', 'no socket left, heap < 1 MB', mark(v.memory.ok));
    if (c['element-try']) row('', '`<bricks-websocket>`, proposed change (`--try`)', cell('element-try'), '', '', '');
    row('', 'raw `WebSocket` (reference)', cell('raw'), '', '', '');
  }
  if (m.requests) {
    const e = m.requests.contenders.element;
    row(`Requests: ${fmtInt(settings.requests)} with mixed outcomes (reply, error reply, timeout, abort)`, '`request()`', `${e.pending} pending after, heap ${signedKB(e.heapGrowth)} (worst ${signedKB(e.maxHeapGrowth)}), ${fmtMs(e.ms)}`, '', '0 pending, heap < 1 MB', mark(v.requests.ok));
  }
  if (m.sharing) {
    const { page, tabs } = m.sharing;
    row('Connections the server holds', '10 elements on one page', `${page.none} without \`share\`, **${page.shared}** with \`share="page"\``, '', '1 with `share`', mark(page.shared === 1));
    row('', 'one element in each of 4 tabs', `${tabs.none} without \`share\`, **${tabs.shared}** with \`share="tabs"\``, '', '1 with `share`', mark(tabs.shared === 1));
  }

  if (m['share-receive']) {
    const r = m['share-receive'];
    const cell = (id) => `${fmtInt(r.contenders[id].perElementFramesPerSecond)} frames/s per element (${fmtInt(r.contenders[id].eventsPerSecond)} events/s in all)`;
    row(`Receive ${fmtInt(r.framesPerElement)} frames in each of ${r.elements} elements on one page`, 'a socket each (no `share`)', cell('own'), '1.00', '', '');
    row('', 'one socket, `share="page"`', cell('page'), r.contenders.page.ratio.toFixed(2), '', '');
  }

  serverRows(m, v, row);
  resumeRows(m, v, row, settings);
  redisRows(m, v, row);

  const { machine } = results;
  // Describes what ran and nothing else: a size-only run had no browser and no rounds, a server-only table no browser.
  const where = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${results.node}.`;
  const rounds = Object.keys(m).some((name) => name !== 'size');
  const inBrowser = Object.keys(m).some((name) => name !== 'size' && !SERVER_MEASUREMENTS.includes(name) && name !== 'redis-fanout');
  const server = Object.keys(m).some((name) => SERVER_MEASUREMENTS.includes(name));
  const processes = settings.loadProcesses === 1 ? 'another process' : `${settings.loadProcesses} other processes`;
  const how = [
    rounds ? `Medians of ${settings.rounds} interleaved rounds after a warm-up` : 'Sizes by esbuild, minified, then gzip -9 and brotli -11; no browser',
    ...(server ? [`each server in its own Node process, its clients in ${processes}`] : []),
    ...(m['redis-fanout'] ? ['Redis: a private redis-server, each instance in its own Node process, their clients in the bench\'s'] : []),
    `load average ${results.loadBefore[0]} before, ${results.loadAfter[0]} after`,
    results.date.slice(0, 10),
  ];
  const partial = results.partial?.length
    ? [`Partial run (${results.partial.join(' ')}): ${Object.keys(m).join(', ')} only; not comparable with a full run.`]
    : [];
  const header = [
    ...partial,
    results.browser && inBrowser ? `${results.browserPath.split('/').pop()} ${results.browser.replace(/^(Headless)?Chrome\//, '')}, headless; ${where}` : where,
    `${how.join('; ')}.`,
    '',
    '| Measurement | Contender | Median | vs. reference | Target | |',
    '|---|---|---|---|---|---|',
  ];
  return [...header, ...rows].join('\n');
}

/** The server library's rows (bench/server/measure.mjs), through `row(...cells)`. */
function serverRows(m, v, row) {
  const notMeasured = (library) => `not measured: ${library.missing}`;
  const fanout = m['server-fanout'];
  for (const size of fanout?.sizes ?? []) {
    const c = size.contenders;
    const cell = (id) => `${fmtInt(c[id].framesPerSecond)} frames/s; latency p50 ${fmtMs(c[id].p50Ms)}, p99 ${fmtMs(c[id].p99Ms)}; CPU per frame: server ${c[id].serverCpuUsPerFrame.toFixed(1)} µs, clients ${c[id].loadCpuUsPerFrame.toFixed(1)} µs`;
    const title = `Server fan-out: ${fmtInt(size.clients)} clients in one room, one broadcast at a time (${fmtInt(size.broadcasts)} a round), frames delivered`;
    row(title, 'plain `ws`: `JSON.stringify` once, `send` to each socket (floor)', cell('ws'), '1.00', '', '');
    const verdict = v[`server-fanout-${size.clients}`];
    if (c.library) row('', "`bricks.to('room').send('tick', data)`", cell('library'), `${c.library.ratio.toFixed(2)}; ${c.library.toSocketIo.toFixed(2)}× socket.io`, FANOUT_TARGET, mark(verdict?.ok));
    else row('', "`bricks.to('room').send('tick', data)`", notMeasured(fanout.library), '', FANOUT_TARGET, '');
    row('', "socket.io: `io.to('room').emit('tick', data)`, socket.io-client", cell('socket.io'), c['socket.io'].ratio.toFixed(2), '', '');
  }
  const requests = m['server-requests'];
  if (requests) {
    const c = requests.contenders;
    const cell = (id) => `${fmtInt(c[id].roundTripsPerSecond)} round trips/s; p50 ${fmtMs(c[id].p50Ms)}, p99 ${fmtMs(c[id].p99Ms)}`;
    const title = `Server requests: ${fmtInt(requests.total)} round trips a round from ${fmtInt(requests.clients)} clients, one in flight each`;
    row(title, 'plain `ws`: `echo` frames answered by hand (floor)', cell('ws'), '1.00', '', '');
    if (c.library) row('', "`bricks.handle('echo', (data) => data)`", cell('library'), c.library.ratio.toFixed(2), '', '');
    else row('', "`bricks.handle('echo', (data) => data)`", notMeasured(requests.library), '', '', '');
    row('', "socket.io: `socket.on('echo', (data, ack) => ack(data))`, `emitWithAck`", cell('socket.io'), c['socket.io'].ratio.toFixed(2), '', '');
  }
  const memory = m['server-memory'];
  if (memory) {
    const c = memory.contenders;
    const cell = (id) => `heap ${fmtKB(c[id].heapPerClient)} per client (RSS ${fmtKB(c[id].rssPerClient)})`;
    const title = `Server memory: ${fmtInt(memory.clients)} idle clients in one room, per client`;
    row(title, 'plain `ws` (floor)', cell('ws'), '', '', '');
    if (c.library) row('', '`createServer()`, every client joined to the room', cell('library'), `${signedKB(c.library.heapAboveWs)} heap`, '< 10 KB heap above plain `ws`', mark(v['server-memory']?.ok));
    else row('', '`createServer()`, every client joined to the room', notMeasured(memory.library), '', '< 10 KB heap above plain `ws`', '');
  }
}

/** Resume's rows (issue 26): the element with and without it, the server's fan-out with resume clients, catch-up after a drop. */
function resumeRows(m, v, row, settings) {
  const notMeasured = (library) => `not measured: ${library.missing}`;
  for (const [name, title, unit] of [['resume-receive', `Resume: receive ${fmtInt(settings.n)} frames`, 'framesPerSecond'], ['resume-send', `Resume: send ${fmtInt(settings.n)} frames until the server has all`, 'framesPerSecond']]) {
    const c = m[name]?.contenders;
    if (!c) continue;
    const cell = (id) => `${fmtInt(c[id][unit])} frames/s${c[id].loopNsPerCall ? ` (calls: ${fmtInt(c[id].loopNsPerCall)} ns each)` : ''}`;
    row(title, '`<bricks-websocket>` without `resume` (baseline)', cell('element'), '1.00', '', '');
    row('', '`<bricks-websocket resume>`: frames numbered, kept until acknowledged', cell('element-resume'), c['element-resume'].ratio.toFixed(2), RESUME_TARGET, mark(v[name]?.ok));
  }
  const fanout = m['resume-fanout'];
  if (fanout?.library.missing) row('Resume: server fan-out', "`bricks.to('room').send('tick', data)`", notMeasured(fanout.library), '', '', '');
  for (const size of fanout?.library.missing ? [] : fanout?.sizes ?? []) {
    const c = size.contenders;
    const cell = (id) => `${fmtInt(c[id].framesPerSecond)} frames/s; latency p50 ${fmtMs(c[id].p50Ms)}, p99 ${fmtMs(c[id].p99Ms)}; CPU per frame: server ${c[id].serverCpuUsPerFrame.toFixed(1)} µs, clients ${c[id].loadCpuUsPerFrame.toFixed(1)} µs`;
    const title = `Resume: server fan-out, ${fmtInt(size.clients)} clients in one room, one broadcast at a time (${fmtInt(size.broadcasts)} a round)`;
    row(title, "`bricks.to('room').send('tick', data)`, clients without `resume` (baseline)", cell('library'), '1.00', '', '');
    row('', "the same, clients with `resume`: each frame numbered and kept in the room's history", cell('library-resume'), c['library-resume'].ratio.toFixed(2), '', '');
  }
  const catchup = m['resume-catchup'];
  if (catchup?.library.missing) row('Resume: catch-up after a drop', 'bricks-websocket/server', notMeasured(catchup.library), '', '', '');
  else if (catchup) {
    const c = catchup.contenders;
    const cell = (id, until) => `${fmtMs(c[id].ms)} until ${until} (all reconnected after ${fmtMs(c[id].reconnectedMs)})`;
    const title = `Resume: catch-up of ${fmtInt(catchup.clients)} clients whose sockets the server dropped while it sent ${fmtInt(catchup.missed)} frames`;
    row(title, `plain reconnect (no \`resume\`): the ${fmtInt(catchup.missed)} frames lost`, cell('library', 'every client has the next live frame'), '1.00', '', '');
    row('', `\`resume\`: each client back with its token, given the ${fmtInt(catchup.missed)} it missed`, cell('library-resume', `every client has all ${fmtInt(catchup.missed)} and the next live frame`), c['library-resume'].ratio.toFixed(2), '', '');
  }
}

/** The Redis row (issue 27): two instances through Redis against one in memory, beside socket.io with and without its adapter. */
function redisRows(m, v, row) {
  const r = m['redis-fanout'];
  if (!r) return;
  const c = r.contenders;
  const lat = ({ p50Ms, p99Ms }) => `p50 ${fmtMs(p50Ms)}, p99 ${fmtMs(p99Ms)}`;
  const cell = (id) => {
    const { deliveriesPerSecond, latency } = c[id];
    const latencies = latency.B ? `publishing instance's clients ${lat(latency.A)}, other instance's ${lat(latency.B)}` : lat(latency.A);
    return `${fmtInt(deliveriesPerSecond)} deliveries/s; latency ${latencies}`;
  };
  const title = `Redis: ${fmtInt(r.clients)} clients per instance; latency of ${fmtInt(r.frames)} frames at ${r.rate}/s, throughput of a burst of ${fmtInt(r.burst)}`;
  if (c['bricks-memory']) {
    row(title, '`createServer()`, 1 instance, in memory (baseline)', cell('bricks-memory'), '1.00', '', '');
    const verdict = v['redis-fanout'];
    const versus = `${(c['bricks-redis'].deliveriesPerSecond / c['bricks-memory'].deliveriesPerSecond).toFixed(2)}${verdict ? `; ${verdict.toSocketIo.toFixed(2)}× socket.io's adapter` : ''}`;
    row('', "`createServer({ adapter: redisAdapter() })`, 2 instances", cell('bricks-redis'), versus, REDIS_TARGET, mark(verdict?.ok));
  } else {
    row(title, '`createServer({ adapter: redisAdapter() })`, 2 instances', `not measured: ${r.library.missing}`, '', REDIS_TARGET, '');
  }
  row('', 'socket.io, 1 instance', cell('socket.io-memory'), c['bricks-memory'] ? (c['socket.io-memory'].deliveriesPerSecond / c['bricks-memory'].deliveriesPerSecond).toFixed(2) : '', '', '');
  row('', 'socket.io: 2 instances, `@socket.io/redis-adapter`', cell('socket.io-redis'), c['bricks-memory'] ? (c['socket.io-redis'].deliveriesPerSecond / c['bricks-memory'].deliveriesPerSecond).toFixed(2) : '', '', '');
}

/**
 * The rows of the full `table` that have a target, each under its measurement's name, with the
 * floors, reconnecting-websocket and socket.io beside them where the target is judged against those; and
 * the lines above the table (machine, date): the README's table of one run.
 */
export function targetsTable(table) {
  const lines = table.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const groups = [];
  for (const line of lines.slice(first + 2)) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells[0] || groups.length === 0) groups.push({ name: cells[0], rows: [] });
    groups.at(-1).rows.push(cells);
  }
  const kept = groups.flatMap(({ name, rows }) =>
    rows.some((cells) => cells[4])
      ? rows.filter((cells) => cells[4] || /floor|\(baseline\)|reconnecting-websocket \+|^socket\.io:/.test(cells[1])).map((cells, i) => `| ${[i ? '' : name, ...cells.slice(1)].join(' | ')} |`)
      : [],
  );
  return [...lines.slice(0, first + 2), ...kept].join('\n');
}
