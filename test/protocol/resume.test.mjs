// Resume's delivery rules (src/protocol/resume.ts) against a transport that drops, cuts,
// duplicates and reorders: property tests with fast-check. Runs on the build (`npm run build`).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { History, Inbox, Outbox, Positions } from '../../dist/protocol/resume.js';

const RUNS = 300;
const BATCH = 4;

describe('Outbox and Inbox: page-to-server frames', () => {
  test('acknowledge forgets exactly the frames up to the number, and numbering goes on', () => {
    const outbox = new Outbox();
    for (const item of ['a', 'b', 'c', 'd']) outbox.add(item);
    assert.equal(outbox.acknowledge(2), 2);
    assert.equal(outbox.acknowledge(1), 0);
    assert.deepEqual(outbox.kept, [{ n: 3, item: 'c' }, { n: 4, item: 'd' }]);
    assert.equal(outbox.next, 5);
    assert.equal(outbox.add('e'), 5);
  });

  test('the inbox acknowledges only what every earlier frame has finished, in batches', () => {
    const inbox = new Inbox();
    for (const n of [1, 2, 3]) assert.equal(inbox.receive(n), 'new');
    assert.equal(inbox.receive(2), 'repeat');
    assert.equal(inbox.receive(5), 'gap');
    inbox.finished(2);
    inbox.finished(3);
    assert.equal(inbox.handled, 0, 'frame 1 still runs');
    inbox.finished(1);
    assert.equal(inbox.handled, 3);
    assert.equal(inbox.acknowledgement(4), null, 'three is under the batch');
    assert.equal(inbox.acknowledgement(4, true), 3);
    assert.equal(inbox.acknowledgement(4, true), null, 'nothing new since');
  });

  // One step of the world: the page sends, the transport delivers, duplicates, reorders or cuts,
  // the server's handlers finish, acknowledgements travel back, the page reconnects.
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'send' }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('deliver'), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate'), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap'), pick: fc.nat() }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('finish'), pick: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack'), flush: fc.boolean() }) },
    { weight: 3, arbitrary: fc.constant({ kind: 'deliver-ack' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut'), halfOpen: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' }) },
  );

  test('the handlers see every page frame exactly once and in order, whatever the transport does', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const outbox = new Outbox();
        const inbox = new Inbox();
        const handled = []; // what the handlers saw, in order
        const running = [];
        let sent = 0;
        // Connections, newest last: frames on their way to the server, acks on their way back.
        // A cut connection keeps its frames when half-open: the server may still read them later.
        let connections = [{ up: [], down: [], open: true }];
        const current = () => connections.at(-1);
        const resume = () => {
          // The handshake: the server says how far it has handled, the page sends the rest again.
          outbox.acknowledge(inbox.handled);
          connections.push({ up: outbox.kept.map(({ n, item }) => ({ n, item })), down: [], open: true });
        };
        const arrive = (connection, frame) => {
          const arrival = inbox.receive(frame.n);
          if (arrival === 'new') {
            handled.push(frame.item);
            running.push(frame.n);
          } else if (arrival === 'gap') {
            // The server closes a connection that skips numbers; the page resumes.
            connection.open = false;
            connection.up.length = 0;
          }
        };
        for (const s of steps) {
          const live = connections.filter((c) => c.up.length > 0);
          switch (s.kind) {
            case 'send': {
              const item = ++sent;
              const n = outbox.add(item);
              if (current().open) current().up.push({ n, item });
              break;
            }
            case 'deliver': {
              if (live.length === 0) break;
              const connection = live[s.pick % live.length];
              arrive(connection, connection.up.shift());
              break;
            }
            case 'duplicate': {
              const c = current();
              if (c.up.length > 0) c.up.splice(s.pick % c.up.length, 0, c.up[s.pick % c.up.length]);
              break;
            }
            case 'swap': {
              const c = current();
              if (c.up.length > 1) {
                const i = s.pick % (c.up.length - 1);
                [c.up[i], c.up[i + 1]] = [c.up[i + 1], c.up[i]];
              }
              break;
            }
            case 'finish': {
              if (running.length === 0) break;
              inbox.finished(running.splice(s.pick % running.length, 1)[0]);
              break;
            }
            case 'ack': {
              const n = inbox.acknowledgement(BATCH, s.flush);
              if (n !== null && current().open) current().down.push(n);
              break;
            }
            case 'deliver-ack': {
              const n = current().down.shift();
              if (n !== undefined) outbox.acknowledge(n);
              break;
            }
            case 'cut':
              current().open = false;
              current().down.length = 0;
              if (!s.halfOpen) current().up.length = 0;
              break;
            case 'reconnect':
              current().open = false;
              current().down.length = 0;
              resume();
              break;
          }
          // At every moment: what the handlers saw is 1, 2, 3, ... with nothing twice.
          assert.deepEqual(handled, handled.map((_, i) => i + 1));
          // The page keeps only frames the server has not acknowledged as handled.
          assert.ok(outbox.kept.every(({ n }) => n > 0 && n <= sent));
        }
        // Then the network heals: old connections drain, handlers finish, one clean resume.
        for (const c of connections) while (c.up.length > 0) arrive(c, c.up.shift());
        while (running.length > 0) inbox.finished(running.pop());
        connections = [];
        resume();
        while (current().up.length > 0) arrive(current(), current().up.shift());
        while (running.length > 0) inbox.finished(running.pop());
        assert.deepEqual(handled, Array.from({ length: sent }, (_, i) => i + 1));
        outbox.acknowledge(inbox.acknowledgement(BATCH, true) ?? inbox.handled);
        assert.equal(outbox.kept.length, 0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('History and Positions: server-to-page frames', () => {
  test('since() gives the frames after a position, or null when one of them is gone', () => {
    const history = new History({ size: 3, ttl: 1000 });
    for (const [text, at] of [['a', 0], ['b', 10], ['c', 20], ['d', 30]]) history.add(text, at);
    assert.deepEqual(history.since(2, 40), ['c', 'd']);
    assert.deepEqual(history.since(4, 40), []);
    assert.equal(history.since(0, 40), null, 'a was pushed out by size');
    assert.equal(history.since(5, 40), null, 'a position this stream never gave');
    assert.equal(history.since(2, 1025), null, 'c is older than ttl');
    assert.deepEqual(history.since(3, 1025), ['d']);
  });

  test('positions drop repeats per stream and forget everything on clear()', () => {
    const positions = new Positions();
    assert.equal(positions.take('lobby', 7), true);
    assert.equal(positions.take('lobby', 7), false);
    assert.equal(positions.take('', 1), true);
    assert.deepEqual(positions.toJSON(), { lobby: 7, '': 1 });
    positions.clear();
    assert.equal(positions.take('lobby', 1), true);
  });

  const step = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'publish' }) },
    { weight: 8, arbitrary: fc.constant({ kind: 'deliver' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate'), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'cut' }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait'), ms: fc.nat(300) }) },
  );

  test('the page sees every frame once and in order, and is told when history could not cover a gap', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), fc.integer({ min: 1, max: 40 }), (steps, size) => {
        const history = new History({ size, ttl: 1000 });
        const positions = new Positions();
        const seen = []; // what the page's listeners got
        const gaps = []; // where a resume said recovered: false
        let now = 0;
        let published = 0;
        let connection = { down: [], open: true };
        for (const s of steps) {
          switch (s.kind) {
            case 'publish': {
              const text = String(++published);
              const n = history.add(text, now);
              if (connection.open) connection.down.push({ n, text });
              break;
            }
            case 'deliver': {
              const frame = connection.down.shift();
              if (frame && positions.take('room', frame.n)) seen.push(Number(frame.text));
              break;
            }
            case 'duplicate':
              if (connection.down.length > 0) connection.down.splice(s.pick % connection.down.length, 0, connection.down[s.pick % connection.down.length]);
              break;
            case 'cut':
              connection = { down: [], open: false };
              break;
            case 'reconnect': {
              const from = positions.toJSON().room ?? 0;
              const missed = history.since(from, now);
              connection = { down: [], open: true };
              if (missed === null) {
                gaps.push(seen.length);
                positions.clear();
                positions.take('room', history.last); // live from here on
              } else {
                missed.forEach((text, i) => connection.down.push({ n: from + 1 + i, text }));
              }
              break;
            }
            case 'wait':
              now += s.ms;
              break;
          }
        }
        // Between the gaps a resume reported, the page saw consecutive frames, never one twice.
        for (let i = 1; i < seen.length; i++) {
          if (gaps.includes(i)) assert.ok(seen[i] > seen[i - 1], 'nothing twice, even across a gap');
          else assert.equal(seen[i], seen[i - 1] + 1, `frame after ${seen[i - 1]}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
