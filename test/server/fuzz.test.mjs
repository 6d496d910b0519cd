// Fuzz: at least 10,000 random frames (envelopes with every field of every JSON type, bare
// JSON, random text, binary) from a few clients. The server stays up, counts what it drops,
// answers what it must, and its handlers see exactly the well-formed frames, in order; which
// ones those are is decided here by an oracle written from PROTOCOL.md, not by src/protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connect, start } from './support.mjs';

const RESERVED = new Set(['open', 'message', 'error', 'close', 'reconnecting', 'drain']);

/** What the server must do with one frame: `handled` (with what a handler sees), `answered`, `pong` or `dropped`. */
function oracle(frame) {
  if (frame.binary) return { handled: [null, [...frame.binary], undefined] };
  // What reaches the server is the UTF-8 of the text: a lone surrogate arrives as U+FFFD.
  const text = Buffer.from(frame.text).toString();
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return 'dropped';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'dropped';
  const { type, id, data } = value;
  if (typeof type !== 'string' || type === '') return 'dropped';
  if (type === 'reply') return 'dropped'; // this server asked nothing, so every reply is unasked or malformed
  if (id !== undefined && typeof id !== 'string') return 'dropped';
  if (RESERVED.has(type)) return id === undefined ? 'dropped' : 'answered';
  if (type === 'ping') return 'pong';
  return { handled: [type, data === undefined ? null : data, id] };
}

const json = fc.jsonValue({ maxDepth: 3 });
const type = fc.oneof(
  fc.constantFrom('chat', 'cursor', 'ping', 'reply', ...RESERVED, '', '__proto__', 'constructor', 'toString', '*'),
  fc.string({ maxLength: 12 }),
  json,
);
const id = fc.oneof(fc.string({ maxLength: 12 }), json);
const error = fc.oneof(fc.record({ message: fc.string(), code: fc.oneof(fc.string(), json), data: json }, { requiredKeys: ['message'] }), json);
const envelope = fc.record({ type, data: json, id, error }, { requiredKeys: [] }).map((value) => JSON.stringify(value));
const text = fc.oneof(
  { weight: 6, arbitrary: envelope },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{"__proto__":{"type":"chat"}}', '{"type":"chat","__proto__":{"id":5}}', '{"type":"chat","data":{"__proto__":{"x":1}}}', '{"type":"chat"', '{}', '[]', ''),
  },
);
const frame = fc.oneof({ weight: 12, arbitrary: text.map((value) => ({ text: value })) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => ({ binary: Buffer.from(bytes) })) });

test('10,000 random frames: the server stays up, and handlers see exactly the well-formed ones, in order', async (t) => {
  const { bricks, url } = await start(t, { binary: true });
  let seen = [];
  const clients = [];
  const record = (data, context) => {
    assert.ok(clients.includes(context.client), 'the context names the client that sent the frame');
    seen.push([context.type, context.type === null ? [...data] : data, context.id]);
    return { echo: context.type };
  };
  bricks.handle('chat', record);
  bricks.handle('*', record);
  const errors = [];
  bricks.on('error', (error) => errors.push(error));
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const { client, peer } = await connect(bricks, url());
    clients.push(client);
    pages.push(peer);
  }

  let total = 0;
  /** How often each outcome came up, so a generator that stopped making some would show. */
  const kinds = { handled: 0, request: 0, binary: 0, answered: 0, pong: 0, dropped: 0 };
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 200, maxLength: 300 }), fc.nat(pages.length - 1), async (frames, which) => {
      const peer = pages[which];
      const before = bricks.stats();
      seen = [];
      for (const one of frames) peer.send(one.binary ?? one.text);
      const answers = await peer.sync();
      total += frames.length;

      const outcomes = frames.map(oracle);
      const handled = outcomes.filter((outcome) => typeof outcome === 'object').map((outcome) => outcome.handled);
      assert.deepEqual(seen, handled);
      const count = (kind) => outcomes.filter((outcome) => outcome === kind).length;
      const requests = handled.filter(([, , frameId]) => frameId !== undefined).length;
      kinds.handled += handled.length;
      kinds.request += requests;
      kinds.binary += handled.filter(([frameType]) => frameType === null).length;
      for (const kind of ['answered', 'pong', 'dropped']) kinds[kind] += count(kind);
      assert.equal(answers.length, requests + count('answered') + count('pong'), 'one answer per request and per ping');
      const after = bricks.stats();
      assert.equal(after.dropped - before.dropped, count('dropped'));
      assert.equal(after.framesIn - before.framesIn, frames.length + 1);
      assert.equal(after.clients, pages.length, 'nobody was disconnected');
    }),
    { numRuns: 50 },
  );
  assert.ok(total >= 10_000, `only ${total} frames were sent`);
  for (const [kind, times] of Object.entries(kinds)) assert.ok(times >= 50, `only ${times} frames were ${kind}: ${JSON.stringify(kinds)}`);
  assert.deepEqual(errors, []);
  for (const peer of pages) await peer.sync();
});
