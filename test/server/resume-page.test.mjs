// The two halves of resume together: the element's own stream (dist/connection/resume-stream.js,
// the code a page runs, driven here as its Connection drives it) against bricks-websocket/server,
// through a proxy that loses and cuts. The browser tests drive the element itself against a fake
// (test/fixture/resume-fake.mjs); this says the page's half and the real server agree on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ResumeStream } from '../../dist/connection/resume-stream.js';
import { cuttingProxy } from './resume-support.mjs';
import { WebSocket, start } from './support.mjs';

/** A page: a ws client that runs the element's ResumeStream at the same edges as connection.ts. */
class StreamPage {
  stream = new ResumeStream();
  /** Frames that went on to the element's listeners, parsed. */
  taken = [];
  /** The `resumed` details. */
  resumed = [];
  #waiters = new Set();

  constructor(url) {
    this.url = url;
  }

  async open() {
    const ws = (this.ws = new WebSocket(this.url, ['bricks.resume.1']));
    const host = {
      resumed: (detail) => this.resumed.push(detail),
      acknowledged: () => {},
    };
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? data : data.toString();
      if (!this.stream.received(text, host)) this.taken.push(JSON.parse(text));
      for (const wake of [...this.#waiters]) wake();
    });
    ws.on('error', () => {});
    await once(ws, 'open');
    for (const text of this.stream.opened()) ws.send(text);
  }

  send(type, data, id) {
    this.ws.send(this.stream.number(JSON.stringify(id === undefined ? { type, data } : { type, data, id })));
  }

  /** Resolves once `condition` holds, checked after every frame. */
  until(condition) {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        if (!condition()) return;
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }
}

test('the element\'s stream and the server: frames lost on the way are sent again and handled once, what the page missed comes back once, a request is answered once', async (t) => {
  const { bricks, port } = await start(t);
  const handled = [];
  bricks.handle('up', (data) => void handled.push(data));
  bricks.handle('echo', (data) => data);
  bricks.on('connection', (client) => client.join('lobby'));
  const proxy = await cuttingProxy(t, port);
  const page = new StreamPage(proxy.url());
  t.after(() => page.ws?.terminate());

  await page.open();
  page.send('up', 1);
  page.send('up', 2);
  await page.until(() => page.stream.kept === 0); // acknowledged
  bricks.to('lobby').send('chat', 'a');
  await page.until(() => page.taken.length === 1);

  // Frames the page sends now die on the way up; then the connection is cut.
  proxy.hold('up');
  page.send('up', 3);
  page.send('echo', 'x', 'q-1');
  const gone = once(bricks, 'disconnect');
  proxy.cut();
  await gone;
  bricks.to('lobby').send('chat', 'b');
  bricks.send('everyone', 'c');

  await page.open();
  await page.until(() => page.resumed.length === 1 && page.taken.length === 4);
  assert.deepEqual(page.resumed, [{ recovered: true, missed: 2, resent: 2 }]);
  assert.deepEqual(handled, [1, 2, 3]);
  // Frames of different streams have no order between them (PROTOCOL.md).
  assert.deepEqual(page.taken.map(({ type, data }) => `${type} ${data}`).sort(), ['chat a', 'chat b', 'everyone c', 'reply x']);

  // Once more, with nothing lost: the kept frames that did arrive are repeats, dropped by the server.
  page.send('up', 4);
  await page.until(() => page.stream.kept === 0);
  proxy.cut();
  await page.open();
  await page.until(() => page.resumed.length === 2);
  page.send('up', 5);
  await page.until(() => page.stream.kept === 0);
  assert.deepEqual(page.resumed[1], { recovered: true, missed: 0, resent: 0 });
  assert.deepEqual(handled, [1, 2, 3, 4, 5]);
  assert.equal(page.taken.length, 4, 'nothing twice');
});
