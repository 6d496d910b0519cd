// Fuzz: the server sends arbitrary frames; the element must never throw out, must
// report each frame once by `message`, dispatch each valid envelope once under its
// type, report each invalid text frame once as an `error` of kind `frame`, and keep
// working. Binary frames are data, not envelopes: `message` only, by design.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { control, room, serverUntil, wsUrl, type Frame } from '../helpers/server.js';
import { mount } from './support.js';

const RESERVED = ['open', 'message', 'error', 'close', 'reconnecting', 'reply', 'resumed'];
const MEGABYTE = 'x'.repeat(1 << 20);

/** What the element must do with one frame: an independent model of the contract. */
type Expected = { kind: 'binary' } | { kind: 'invalid' } | { kind: 'reply' } | { kind: 'event'; type: string; data: unknown; id: string | undefined };

function expected(frame: Frame): Expected {
  if (typeof frame !== 'string') return { kind: 'binary' };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { kind: 'invalid' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid' };
  const own = (key: string) => (Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined);
  const type = own('type');
  if (type === 'reply') {
    // A well-formed reply to no pending request is ignored; a malformed one is a frame error.
    const error = own('error') as { message?: unknown } | undefined;
    const wellFormed = typeof own('id') === 'string' && Object.hasOwn(value, 'data') !== Object.hasOwn(value, 'error') &&
      (!Object.hasOwn(value, 'error') || (typeof error === 'object' && error !== null && typeof error.message === 'string'));
    return wellFormed ? { kind: 'reply' } : { kind: 'invalid' };
  }
  if (typeof type !== 'string' || type === '' || RESERVED.includes(type)) return { kind: 'invalid' };
  // A CustomEvent's detail is null when none is given.
  const data = Object.hasOwn(value, 'data') ? own('data') : null;
  const id = own('id');
  return { kind: 'event', type, data, id: typeof id === 'string' ? id : undefined };
}

/** The `type` strings a frame carries, valid or not, so a test can listen for each. */
function typeNames(frame: Frame): string[] {
  if (typeof frame !== 'string') return [];
  try {
    const value = JSON.parse(frame);
    return value && typeof value === 'object' && typeof value.type === 'string' && value.type !== '' ? [value.type] : [];
  } catch {
    return [];
  }
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const json = fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 });
const oddType = fc.constantFrom('', ' ', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'then', 'prototype', 'x'.repeat(10_000), 'ünïcødé ✓', '🚀👩‍👩‍👧', 'a\u0000b', '\u200b', 'open ', 'Message', 'ERROR', 'on-open', 'text', 'base64audio');
const anyType = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), oddType, fc.constantFrom(...RESERVED));
const text = (s: string): Frame => s;

const frame: fc.Arbitrary<Frame> = fc.oneof(
  // Envelopes with every kind of type and data, sometimes without data.
  { weight: 6, arbitrary: fc.record({ type: anyType, data: json }, { requiredKeys: ['type'] }).map((v) => text(JSON.stringify(v))) },
  // A type that is not a string.
  { weight: 2, arbitrary: fc.record({ type: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string()), fc.dictionary(fc.string(), fc.string())), data: json }).map((v) => text(JSON.stringify(v))) },
  // Any JSON value at all, and any text at all.
  { weight: 3, arbitrary: json.map((v) => text(JSON.stringify(v))) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(text) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '{"type":', 'null', '[]', '"type"', '{"type":"a"}{"type":"b"}', '\u0000', '{"type":"a",}').map(text) },
  // "__proto__" keys: on the envelope, inside data, and hiding a type.
  {
    weight: 2,
    arbitrary: fc.tuple(json, fc.constantFrom('proto-a', 'toString', '__proto__')).map(([v, type]) =>
      text(`{"__proto__":${JSON.stringify(v)},"type":${JSON.stringify(type)},"data":{"__proto__":{"polluted":true},"v":${JSON.stringify(v)}}}`),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(text('{"__proto__":{"type":"sneaky"}}'), text('{"constructor":{"prototype":{"polluted":true}},"type":"proto-b"}')) },
  // Requests from the server (an id of any kind), and replies, well-formed or not, to ids nobody asked.
  { weight: 2, arbitrary: fc.record({ type: anyType, data: json, id: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null)) }, { requiredKeys: ['type', 'id'] }).map((v) => text(JSON.stringify(v))) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        { type: fc.constant('reply'), id: fc.oneof(fc.string({ maxLength: 12 }), fc.integer()), data: json, error: fc.oneof(json, fc.record({ message: fc.string(), code: fc.string() }, { requiredKeys: ['message'] })) },
        { requiredKeys: ['type'] },
      )
      .map((v) => text(JSON.stringify(v))),
  },
  // Binary frames.
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ binary: base64(bytes) })) },
);

/** About a megabyte: as data, as a type name, and as plain text. Kept out of the big batches. */
const megabyte: fc.Arbitrary<Frame> = fc.constantFrom(
  text(JSON.stringify({ type: 'big', data: MEGABYTE })),
  text(JSON.stringify({ type: MEGABYTE, data: 1 })),
  text(MEGABYTE),
  text(`{"type":"cut","data":"${MEGABYTE}`),
);

/** How the server answers one of the element's own requests inside a batch. */
type Answer = { kind: 'data' | 'error' | 'none'; duplicate: boolean };
const answer: fc.Arbitrary<Answer> = fc.record({ kind: fc.constantFrom('data' as const, 'error' as const, 'none' as const), duplicate: fc.boolean() });


describe('fuzz: arbitrary frames from the server', function () {
  this.timeout(120_000);
  let run = 0;

  /**
   * Has the element ask `answers.length` requests, then sends `frames` with the answers mixed in,
   * then a sentinel, and checks every frame against the model. Returns the frame count.
   */
  async function batch(el: BricksWebSocketElement, name: string, thrown: unknown[], frames: Frame[], answers: Answer[] = []) {
    run++;
    const sentinel = `sentinel-${run}-${crypto.randomUUID()}`;
    const names = new Set(['message', 'error', 'open', 'close', 'reconnecting', sentinel, ...frames.flatMap(typeNames)]);
    const seen = new Map<string, unknown[]>([...names].map((n) => [n, []]));
    const ids = new Map<string, unknown[]>([...names].map((n) => [n, []]));
    const listener = (event: Event) => {
      seen.get(event.type)!.push((event as CustomEvent).detail);
      ids.get(event.type)!.push((event as BricksWebSocketFrameEvent).id);
    };
    for (const n of names) el.addEventListener(n, listener);
    try {
      // The element's own requests, which the test server leaves unanswered; their replies ride in the batch.
      const before = (await control(name).stats()).received.length;
      const unanswered = new AbortController();
      const settled = answers.map((_, i) =>
        el.request('ignore', i, { timeout: 0, signal: unanswered.signal }).then((data) => ({ data }), (error: Error) => ({ error: error.name })),
      );
      const asked = answers.length === 0 ? [] : (await serverUntil(name, (st) => st.received.length >= before + answers.length, 'the requests')).received.slice(before);
      const replies: Frame[] = answers.flatMap((a, i) => {
        const { id } = JSON.parse(asked[i] as string) as { id: string };
        const one = a.kind === 'data' ? { type: 'reply', id, data: i } : { type: 'reply', id, error: { message: `no ${i}` } };
        return a.kind === 'none' ? [] : a.duplicate ? [JSON.stringify(one), JSON.stringify(one)] : [JSON.stringify(one)];
      });
      const all = [...frames, ...replies];
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`run ${run}: the sentinel frame never arrived`)), 30_000);
        el.addEventListener(sentinel, () => (clearTimeout(timer), resolve()), { once: true });
      });
      await control(name).send(...all, JSON.stringify({ type: sentinel, data: run }));
      await arrived;
      // Every frame, then the sentinel, by `message`, once each and in order.
      const messages = seen.get('message')! as { data: unknown }[];
      expect(messages.length).to.equal(all.length + 1);
      all.forEach((f, i) => {
        const data = messages[i].data;
        if (typeof f === 'string') expect(data === f, `message ${i} is the frame as sent`).to.equal(true);
        else expect(data instanceof ArrayBuffer && base64(new Uint8Array(data)) === f.binary, `binary message ${i}`).to.equal(true);
      });
      const model = frames.map(expected);
      const invalid = model.filter((m) => m.kind === 'invalid').length;
      const errors = seen.get('error')! as { kind: string; message: string }[];
      expect(errors.length, 'frame errors').to.equal(invalid);
      for (const error of errors) {
        expect(error.kind).to.equal('frame');
        expect(error.message).to.be.a('string').and.not.equal('');
      }
      // Valid envelopes: one event of their type each, with their data and request id.
      for (const n of names) {
        if (RESERVED.includes(n) || n === sentinel) continue;
        const want = model.filter((m): m is Extract<Expected, { kind: 'event' }> => m.kind === 'event' && m.type === n);
        const got = seen.get(n)!;
        expect(got.length, `events of type ${JSON.stringify(n.slice(0, 40))}`).to.equal(want.length);
        got.forEach((detail, i) => expect(JSON.stringify(detail)).to.equal(JSON.stringify(want[i].data)));
        expect(ids.get(n), 'request ids').to.deep.equal(want.map((w) => w.id));
      }
      // A frame never fakes the element's own events.
      for (const own of ['open', 'close', 'reconnecting']) expect(seen.get(own)!.length, own).to.equal(0);
      expect(seen.get(sentinel)).to.deep.equal([run]);
      // Each answered request settled with its first reply; the others still wait.
      const answered = answers.map((a, i) => (a.kind === 'data' ? { data: i } : a.kind === 'error' ? { error: 'ReplyError' } : null));
      const outcomes = await Promise.all(settled.map((p, i) => (answered[i] ? p : Promise.resolve(null))));
      expect(outcomes).to.deep.equal(answered);
      expect(el.pending, 'unanswered requests').to.equal(answered.filter((a) => a === null).length);
      unanswered.abort();
      await Promise.all(settled);
      expect(el.pending, 'after aborting the unanswered').to.equal(0);
      expect(thrown).to.deep.equal([]);
    } finally {
      for (const n of names) el.removeEventListener(n, listener);
    }
  }

  async function fuzzed(body: (el: BricksWebSocketElement, name: string, thrown: unknown[]) => Promise<void>) {
    const name = room('fuzz');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    const thrown: unknown[] = [];
    const onError = (event: ErrorEvent) => thrown.push(event.error ?? event.message);
    const onRejection = (event: PromiseRejectionEvent) => thrown.push(event.reason);
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
    try {
      await body(el, name, thrown);
    } finally {
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onRejection);
    }
    // Afterwards everything still works, and no prototype was touched.
    expect(({} as { polluted?: unknown }).polluted).to.equal(undefined);
    expect(el.state).to.equal('open');
    const echoed = new Promise<CustomEvent>((resolve) => el.addEventListener('after-fuzz', (e) => resolve(e as CustomEvent), { once: true }));
    expect(el.send('after-fuzz', { ok: true })).to.equal(true);
    expect((await echoed).detail).to.deep.equal({ ok: true });
    expect(log.count('close')).to.equal(0);
    el.close();
  }

  it('never throw out, and each yields one message, one typed event or one frame error, megabyte frames included', async () => {
    await fuzzed((el, name, thrown) =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.oneof({ weight: 20, arbitrary: frame }, { weight: 1, arbitrary: megabyte }), { minLength: 1, maxLength: 6 }), (frames) => batch(el, name, thrown, frames)),
        { numRuns: 60 },
      ),
    );
  });

  it('ten thousand frames in batches, with replies to the element\'s own requests and requests from the server', async () => {
    let total = 0;
    await fuzzed((el, name, thrown) =>
      fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 200, maxLength: 240 }), fc.array(answer, { maxLength: 4 }), async (frames, answers) => {
          await batch(el, name, thrown, frames, answers);
          total += frames.length;
        }),
        { numRuns: 50 },
      ),
    );
    expect(total).to.be.at.least(10_000);
  });
});
