// `npm run demo:cluster` (demo/cluster.mjs) as a page would use it: through the proxy, pages land
// on both instances, a chat from one reaches both, and the restart control restarts the page's
// instance, after which the page comes back through the proxy and the chat carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Peer } from '../server/support.mjs';

const script = fileURLToPath(new URL('../../demo/cluster.mjs', import.meta.url));

/** The next frame of `type`, skipping the ticks and greetings between. */
async function nextOf(peer, type) {
  for (;;) {
    const frame = await peer.next();
    if (frame.type === type) return frame;
  }
}

test('the cluster demo: two instances behind the proxy, one chat, and a restart the page comes back from', async (t) => {
  const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const ready = output.match(/Cluster demo: http:\/\/127\.0\.0\.1:(\d+)\//);
      // Both instances connected to Redis: every chat goes through it.
      if (ready && (output.match(/connected to Redis/g) ?? []).length >= 2) resolve(Number(ready[1]));
    });
    child.once('exit', (code) => reject(new Error(`demo/cluster.mjs exited (${code}):\n${output}`)));
  });
  const url = `ws://127.0.0.1:${port}/ws`;
  const origin = `http://127.0.0.1:${port}`;
  // As the element does, a page whose connection fails (an instance going away just as the proxy
  // picked it) tries again; the proxy then picks the other instance.
  const open = async (tries = 5) => {
    try {
      const peer = await Peer.open(url, [], { origin });
      return { peer, instance: (await nextOf(peer, 'hello')).data.instance };
    } catch (error) {
      if (tries <= 1) throw error;
      return open(tries - 1);
    }
  };
  // The proxy takes turns: two pages, one on each instance.
  const a = await open();
  const b = await open();
  assert.deepEqual([a.instance, b.instance].sort(), ['A', 'B']);

  a.peer.send({ type: 'chat', data: 'hello from the first page' });
  for (const { peer } of [a, b]) assert.equal((await nextOf(peer, 'chat')).data.text, 'hello from the first page');

  a.peer.send({ type: 'restart', id: 'r1' });
  assert.deepEqual(await nextOf(a.peer, 'reply'), { type: 'reply', id: 'r1', data: { instance: a.instance } });
  assert.equal((await a.peer.closed).code, 1012);
  // The page reconnects, as the element does after 1012; the proxy sends it to an instance that is up.
  const again = await open();
  again.peer.send({ type: 'chat', data: 'back again' });
  for (const { peer } of [again, b]) assert.equal((await nextOf(peer, 'chat')).data.text, 'back again');
});
