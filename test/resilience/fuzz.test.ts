// Fuzz: the server sends arbitrary frames; the element must never throw out, must
// report each frame once by `message`, dispatch each valid envelope once under its
// type, report each invalid text frame once as an `error` of kind `frame`, and keep
// working. Binary frames are data, not envelopes: `message` only, by design.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import '../../src/bricks-websocket.js';
import { control, room, wsUrl, type Frame } from '../helpers/server.js';
import { mount } from './support.js';

const RESERVED = ['open', 'message', 'error', 'close', 'reconnecting'];
const MEGABYTE = 'x'.repeat(1 << 20);

/** What the element must do with one frame: an independent model of the contract. */
type Expected = { kind: 'binary' } | { kind: 'invalid' } | { kind: 'event'; type: string; data: unknown };

function expected(frame: Frame): Expected {
  if (typeof frame !== 'string') return { kind: 'binary' };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { kind: 'invalid' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid' };
  const type = Object.hasOwn(value, 'type') ? (value as { type: unknown }).type : undefined;
  if (typeof type !== 'string' || type === '' || RESERVED.includes(type)) return { kind: 'invalid' };
  // A CustomEvent's detail is null when none is given.
  const data = Object.hasOwn(value, 'data') ? (value as { data: unknown }).data : null;
  return { kind: 'event', type, data };
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
  // Binary frames.
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ binary: base64(bytes) })) },
  // About a megabyte: as data, as a type name, and as plain text.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      text(JSON.stringify({ type: 'big', data: MEGABYTE })),
      text(JSON.stringify({ type: MEGABYTE, data: 1 })),
      text(MEGABYTE),
      text(`{"type":"cut","data":"${MEGABYTE}`),
    ),
  },
);

describe('fuzz: arbitrary frames from the server', function () {
  this.timeout(120_000);

  it('never throw out, and each yields one message, one typed event or one frame error', async () => {
    const name = room('fuzz');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);

    const thrown: unknown[] = [];
    const onError = (event: ErrorEvent) => thrown.push(event.error ?? event.message);
    const onRejection = (event: PromiseRejectionEvent) => thrown.push(event.reason);
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
    let run = 0;

    try {
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
          run++;
          const sentinel = `sentinel-${run}-${crypto.randomUUID()}`;
          const names = new Set(['message', 'error', 'open', 'close', 'reconnecting', sentinel, ...frames.flatMap(typeNames)]);
          const seen = new Map<string, unknown[]>([...names].map((n) => [n, []]));
          const listener = (event: Event) => seen.get(event.type)!.push((event as CustomEvent).detail);
          for (const n of names) el.addEventListener(n, listener);
          try {
            const arrived = new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`run ${run}: the sentinel frame never arrived`)), 30_000);
              el.addEventListener(sentinel, () => (clearTimeout(timer), resolve()), { once: true });
            });
            await control(name).send(...frames, JSON.stringify({ type: sentinel, data: run }));
            await arrived;

            // Every frame, then the sentinel, by `message`, once each and in order.
            const messages = seen.get('message')! as { data: unknown }[];
            expect(messages.length).to.equal(frames.length + 1);
            frames.forEach((f, i) => {
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
            // Valid envelopes: one event of their type each, with their data.
            for (const n of names) {
              if (RESERVED.includes(n) || n === sentinel) continue;
              const want = model.filter((m): m is Extract<Expected, { kind: 'event' }> => m.kind === 'event' && m.type === n);
              const got = seen.get(n)!;
              expect(got.length, `events of type ${JSON.stringify(n.slice(0, 40))}`).to.equal(want.length);
              got.forEach((detail, i) => expect(JSON.stringify(detail)).to.equal(JSON.stringify(want[i].data)));
            }
            // A frame never fakes the element's own events.
            for (const own of ['open', 'close', 'reconnecting']) expect(seen.get(own)!.length, own).to.equal(0);
            expect(seen.get(sentinel)).to.deep.equal([run]);
            expect(thrown).to.deep.equal([]);
          } finally {
            for (const n of names) el.removeEventListener(n, listener);
          }
        }),
        { numRuns: 60 },
      );
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
  });
});
