// Requests against mock-socket, where the test decides every frame and drop: whatever the
// server does, every request settles by its deadline, exactly once, and nothing throws.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import { ReplyError } from '../../src/bricks-websocket.js';
import { catchingWindowErrors, clientOf, mockUrl, mount, until, useMockNetwork } from './mock-network.js';

const network = useMockNetwork();

/** What the server does next: answer a request (by index into the ones sent so far), garbage, or a drop. */
const step = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), timeout: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constantFrom('reply' as const, 'error' as const, 'duplicate' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('garbage' as const), text: fc.oneof(fc.string(), fc.json(), fc.constantFrom('{"type":"reply"}', '{"type":"reply","id":"x","data":1,"error":{}}', '{"type":"reply","id":7,"data":1}')) }),
  fc.record({ kind: fc.constant('drop' as const) }),
);

describe('requests: any sequence of replies, garbage and drops', () => {
  it('settles every request exactly once by its deadline, leaves pending at 0 and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const url = mockUrl();
        const server = network.serve(url);
        const ids: string[] = [];
        server.on('connection', (socket) => {
          socket.on('message', (text) => {
            const frame = JSON.parse(String(text)) as { id?: string };
            if (typeof frame.id === 'string') ids.push(frame.id);
          });
        });
        const el = mount({ 'ws-url': url, 'reconnect-delay': '0' });
        await until(el, 'open');
        const settled: number[] = [];
        const outcomes: Promise<unknown>[] = [];
        const thrown = await catchingWindowErrors(async () => {
          for (const [index, action] of steps.entries()) {
            const client = server.clients()[0];
            const say = (text: string) => client?.send(text);
            switch (action.kind) {
              case 'request': {
                const promise = el.request('q', index, { timeout: action.timeout });
                outcomes.push(promise.then(
                  (value) => settled.push(index) && value,
                  (error: Error) => {
                    settled.push(index);
                    expect(['ReplyError', 'TimeoutError', 'NetworkError', 'AbortError']).to.include(error.name);
                  },
                ));
                break;
              }
              case 'reply':
              case 'error':
              case 'duplicate': {
                if (ids.length === 0) break;
                const id = ids[action.pick % ids.length];
                const body = action.kind === 'error' ? { error: { message: 'no' } } : { data: action.pick };
                say(JSON.stringify({ type: 'reply', id, ...body }));
                if (action.kind === 'duplicate') say(JSON.stringify({ type: 'reply', id, data: 'again' }));
                break;
              }
              case 'garbage':
                say(action.text);
                break;
              case 'drop':
                client?.close({ code: 4001, reason: 'drop', wasClean: false });
                break;
            }
            await Promise.resolve();
          }
          // Every request has a deadline of at most 40 ms: by then all have settled.
          await Promise.all(outcomes);
        });
        expect(thrown, 'nothing thrown out of the element').to.deep.equal([]);
        expect(settled.length, 'each request settled exactly once').to.equal(outcomes.length);
        expect(new Set(settled).size).to.equal(outcomes.length);
        expect(el.pending).to.equal(0);
        el.remove();
        server.stop();
      }),
      { numRuns: 40 },
    );
  });

  it('an error reply rejects with a ReplyError that keeps code and data', async () => {
    const url = mockUrl();
    const server = network.serve(url);
    server.on('connection', (socket) => {
      socket.on('message', (text) => {
        const { id } = JSON.parse(String(text)) as { id: string };
        socket.send(JSON.stringify({ type: 'reply', id, error: { message: 'out of stock', code: 'stock', data: { left: 0 } } }));
      });
    });
    const el = mount({ 'ws-url': url });
    await until(el, 'open');
    const error = await el.request('cart.add', { sku: 1 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ReplyError);
    expect(error).to.include({ name: 'ReplyError', message: 'out of stock', code: 'stock' });
    expect((error as ReplyError).data).to.deep.equal({ left: 0 });
    expect(clientOf(server)).to.exist;
  });
});
