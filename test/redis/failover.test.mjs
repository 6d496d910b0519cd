// Resume across instances when one dies: pages with resume on instance A (a process of its own)
// through a cutting proxy; A is killed with SIGKILL mid-stream, and the pages come back on B
// (failover) or on A started again on the same port (restart). Meanwhile B sends 5,000 frames to
// their room and the pages send 5,000 frames: every page gets every room frame once, in order,
// resumed says recovered: true, and the handlers see every page frame once, except frames A had
// handled but not yet recorded in Redis when it died (handled again, with the same identity).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResumePeer, cuttingProxy } from '../server/resume-support.mjs';
import { instance, privateRedis } from './support.mjs';

const redis = privateRedis();
const PAGES = 4;
const ROOM_FRAMES = 5000;
const PER_PAGE = 5000 / PAGES;

/** Instance A in a child process; resolves with `{ child, port }` once it serves through Redis. */
async function startChild(t, log, port = 0) {
  const child = fork(new URL('./instance-child.mjs', import.meta.url), [], {
    env: { ...process.env, REDIS_URL: redis.url, PREFIX: `t${process.pid}:`, PORT: String(port), NAME: 'A', LOG: log },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  const [message] = await once(child, 'message');
  return { child, port: message.port };
}

/** Sends `count` frames with `send(i)`, a batch per turn of the event loop. */
function spread(count, send) {
  return new Promise((resolve) => {
    let i = 0;
    const step = () => {
      for (const end = Math.min(i + 50, count); i < end; i++) send(i);
      if (i < count) setImmediate(step);
      else resolve();
    };
    step();
  });
}

async function scenario(t, mode) {
  const dir = mkdtempSync(join(tmpdir(), 'bricks-failover-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'handled.log');
  appendFileSync(log, '');
  const a = await startChild(t, log);
  const b = await instance(t, redis, { history: { size: 10_000, ttl: 120_000 } });
  b.bricks.handle('up', (data) => void appendFileSync(log, `B ${data.p} ${data.i}\n`));
  const proxy = await cuttingProxy(t, a.port);

  const pages = Array.from({ length: PAGES }, () => new ResumePeer(proxy.url(), { reconnect: true }));
  t.after(() =>
    Promise.all(
      pages.map((page) => {
        // A page may be between sockets (its last one cut as the test ends).
        page.reconnect = false;
        if (page.ws?.readyState === 0) return page.ws.terminate();
        return page.stop();
      }),
    ),
  );
  await Promise.all(pages.map((page) => page.connect()));
  pages.forEach((page) => page.send('join', 'room'));
  await Promise.all(pages.map((page) => page.until((p) => p.frames.some((frame) => frame.type === 'joined'))));

  let killed = false;
  const kill = pages[0].until((p) => p.of('room').length >= ROOM_FRAMES / 4).then(async () => {
    if (mode === 'failover') proxy.target = b.port ?? b.bricks.address().port;
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    killed = true;
    if (mode === 'restart') await startChild(t, log, a.port);
  });
  await Promise.all([
    spread(ROOM_FRAMES, (i) => b.bricks.to('room').send('r', i)),
    spread(PER_PAGE, (i) => pages.forEach((page, p) => page.send('up', { p, i }))),
    kill,
  ]);
  await Promise.all(pages.map((page) => page.until((p) => p.of('room').length === ROOM_FRAMES && p.outbox.kept.length === 0)));
  assert.ok(killed);

  for (const page of pages) {
    assert.deepEqual(page.of('room').map((frame) => frame.data), [...Array(ROOM_FRAMES).keys()], 'every room frame once, in order');
    assert.ok(page.answers.length >= 2, 'it came back');
    assert.ok(page.answers.every((answer) => answer.recovered === true), 'recovered every time');
  }
  const handled = new Map();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [by, p, i] = line.split(' ');
    const key = `${p} ${i}`;
    handled.set(key, [...(handled.get(key) ?? []), by]);
  }
  let twice = 0;
  for (let p = 0; p < PAGES; p++) {
    for (let i = 0; i < PER_PAGE; i++) {
      const by = handled.get(`${p} ${i}`);
      assert.ok(by, `page ${p}'s frame ${i} was handled`);
      if (by.length > 1) {
        twice++;
        assert.equal(by.length, 2, `page ${p}'s frame ${i} handled at most twice`);
        assert.equal(by[0], 'A', 'a frame handled twice was first handled by the instance that died');
      }
    }
  }
  return twice;
}

describe('resume when an instance dies', () => {
  test('failover: A is killed with SIGKILL mid-stream, the pages come back on B with nothing lost', async (t) => {
    const twice = await scenario(t, 'failover');
    t.diagnostic(`frames handled twice: ${twice}`);
  });

  test('restart: A is killed with SIGKILL and started again on the same port, nothing lost', async (t) => {
    const twice = await scenario(t, 'restart');
    t.diagnostic(`frames handled twice: ${twice}`);
  });
});
