// The send path against the real ws server, in real browsers (issue 11, items 1-4): base64 of a
// Blob whatever its type, queue-limit bounding only frames that wait for the connection, the
// bytes of the call and not later writes, and frames a WebSocket cannot take.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { WAIT_MS, nextEvent, room, serverUntil, wsUrl, type Frame } from '../helpers/server.js';

const mounted: BricksWebSocketElement[] = [];

/** A new element on a fresh echo room; appended to the document unless `attach` is false. */
function make(attributes: Record<string, string> = {}, attach = true) {
  const name = room('send');
  const element = document.createElement('bricks-websocket');
  element.setAttribute('ws-url', wsUrl(name));
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  const errors: BricksWebSocketErrorDetail[] = [];
  element.addEventListener('error', (event) => errors.push(event.detail));
  mounted.push(element);
  if (attach) document.body.append(element);
  return { element, name, errors };
}

/** The same, after its `open` event. */
async function openElement(attributes: Record<string, string> = {}) {
  const made = make(attributes, false);
  const opened = nextEvent(made.element, 'open');
  document.body.append(made.element);
  await opened;
  return made;
}

/** Base64 of bytes, the slow obvious way, as the reference. */
function reference(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Bytes that differ from their neighbours, so a shifted or partly zeroed copy shows. */
const pattern = (length: number, seed = 1) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed + (i >> 8)) & 255);

const received = (name: string, count: number) =>
  serverUntil(name, (stats) => stats.received.length >= count, `${count} frames`, 10_000).then((stats) => stats.received);

/** A text frame as the element wrote it, which must be JSON. */
const parse = (frame: Frame) => JSON.parse(frame as string) as { type: string; data: string };

const binary = (bytes: Uint8Array): Frame => ({ binary: reference(bytes) });

afterEach(() => {
  for (const element of mounted.splice(0)) {
    element.remove();
    element.close();
  }
});

describe('send path: base64 of a Blob, whatever its type', function () {
  this.timeout(30_000);

  it('sends the exact base64 of a Blob whose MIME type has commas, quotes, spaces or parameters', async () => {
    const { element, name } = await openElement();
    const types = [
      'video/webm;codecs=vp8,opus',
      'video/webm; codecs="vp8, opus"',
      'audio/ogg; codecs="opus"; rate=48000',
      'a,b,c',
      ',',
      '"',
      'x/y;base64,AAAA',
      '',
    ];
    const bytes = pattern(1000);
    for (const type of types) expect(await element.sendBase64Video(new Blob([bytes], { type }))).to.equal(true);
    const frames = (await received(name, types.length)).map(parse);
    expect(frames).to.deep.equal(types.map(() => ({ type: 'base64video', data: reference(bytes) })));
  });

  /** A recording from the (fake) devices; its Blob carries the type the recorder gave its data. */
  async function record(constraints: MediaStreamConstraints): Promise<Blob> {
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    try {
      const recorder = new MediaRecorder(stream);
      const chunks: Blob[] = [];
      let wrote: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      recorder.addEventListener('dataavailable', (event) => {
        chunks.push(event.data);
        if (event.data.size > 0) wrote();
      });
      const started = nextEvent(recorder, 'start');
      recorder.start(100); // hands over what it has written every 100 ms
      await started;
      // The length of the clip: a recording takes wall-clock time by nature…
      await new Promise((resolve) => setTimeout(resolve, 500));
      // …and it goes on until the recorder has written bytes, however long a busy machine takes to
      // start. WebKitGTK writes none for a camera (its video encoder is not usable here): there the
      // recording ends empty at the wait budget.
      let budget: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([written, new Promise((resolve) => (budget = setTimeout(resolve, WAIT_MS)))]);
      clearTimeout(budget);
      const stopped = nextEvent(recorder, 'stop');
      recorder.stop();
      await stopped;
      // Firefox types the chunks (`video/webm; codecs="vp8, opus"`) and leaves mimeType empty.
      return new Blob(chunks, { type: chunks[0]?.type || recorder.mimeType });
    } finally {
      for (const track of stream.getTracks()) track.stop();
    }
  }

  it('sends a MediaRecorder recording of camera and microphone as the exact base64 of its bytes', async () => {
    let clip = await record({ video: true, audio: true });
    // Every engine types a camera-and-microphone recording with a comma between its codecs.
    expect(clip.type).to.include(',');
    if (clip.size === 0) {
      // WebKitGTK records the microphone but writes no bytes for a camera (its video encoder is not
      // usable here): send its microphone recording under the camera-and-microphone type instead.
      clip = new Blob([await record({ audio: true })], { type: clip.type });
    }
    expect(clip.size).to.be.greaterThan(0);
    const { element, name } = await openElement();
    expect(await element.sendBase64Video(clip)).to.equal(true);
    expect(await element.sendBase64Audio(clip)).to.equal(true);
    const expected = reference(new Uint8Array(await clip.arrayBuffer()));
    expect((await received(name, 2)).map(parse)).to.deep.equal([
      { type: 'base64video', data: expected },
      { type: 'base64audio', data: expected },
    ]);
  });
});

describe('send path: queue-limit bounds only frames waiting for the connection', function () {
  this.timeout(30_000);

  it('sends binary input with queue-limit="0" while open, without a queue-full error', async () => {
    const { element, name, errors } = await openElement({ 'queue-limit': '0' });
    const bytes = pattern(10);
    expect(await element.sendBase64Audio(bytes)).to.equal(true);
    expect(await element.sendBase64Video(new Blob([bytes]))).to.equal(true);
    expect(element.sendText('after')).to.equal(true);
    expect((await received(name, 3)).map(parse)).to.deep.equal([
      { type: 'base64audio', data: reference(bytes) },
      { type: 'base64video', data: reference(bytes) },
      { type: 'text', data: 'after' },
    ]);
    expect(errors).to.deep.equal([]);
  });

  it('accepts sends while open behind a clip still being encoded, with queue-limit="1", in call order', async () => {
    const { element, name, errors } = await openElement({ 'queue-limit': '1' });
    const clip = pattern(1024 * 1024);
    const audio = element.sendBase64Audio(clip);
    const video = element.sendBase64Video(new Blob([clip]));
    expect(element.sendText('after the clips')).to.equal(true);
    expect(element.sendRaw('{"type":"raw"}')).to.equal(true);
    expect(await Promise.all([audio, video])).to.deep.equal([true, true]);
    const frames = await received(name, 4);
    expect(frames.slice(0, 3).map((frame) => parse(frame).type)).to.deep.equal(['base64audio', 'base64video', 'text']);
    expect(frames[3]).to.equal('{"type":"raw"}');
    expect(parse(frames[0]).data === reference(clip), 'the audio clip arrived intact').to.equal(true);
    expect(errors).to.deep.equal([]);
  });

  it('still refuses past queue-limit while connecting, counting a clip being encoded', async () => {
    const { element, name, errors } = make({ 'queue-limit': '1' }, false);
    const clip = element.sendBase64Audio(pattern(3));
    expect(element.sendText('one too many')).to.equal(false);
    expect(errors.map((error) => error.kind)).to.deep.equal(['queue-full']);
    expect(await clip).to.equal(true);
    document.body.append(element);
    expect((await received(name, 1)).map(parse)).to.deep.equal([{ type: 'base64audio', data: reference(pattern(3)) }]);
  });
});

describe('send path: the bytes as they were at the call', function () {
  this.timeout(30_000);

  it('sendRaw(view) while connecting sends the bytes of the call, not later writes', async () => {
    const { element, name } = make({}, false);
    const bytes = pattern(16);
    const view = new Uint8Array(bytes.slice().buffer, 2, 8);
    const expected = view.slice();
    expect(element.sendRaw(view)).to.equal(true);
    view.fill(0);
    document.body.append(element);
    expect(await received(name, 1)).to.deep.equal([binary(expected)]);
  });

  it('sendRaw(buffer) while connecting sends its bytes after the buffer was transferred', async () => {
    const { element, name } = make({}, false);
    const buffer = pattern(32).buffer;
    const expected = new Uint8Array(buffer.slice(0));
    expect(element.sendRaw(buffer)).to.equal(true);
    structuredClone(buffer, { transfer: [buffer] });
    expect(buffer.byteLength).to.equal(0);
    document.body.append(element);
    expect(await received(name, 1)).to.deep.equal([binary(expected)]);
  });

  it('sendRaw(view) while open behind a clip being encoded sends the bytes of the call', async () => {
    const { element, name } = await openElement();
    const clip = element.sendBase64Audio(new Blob([pattern(1024)]));
    const view = pattern(8);
    const expected = view.slice();
    element.sendRaw(view);
    view.fill(0);
    expect(await clip).to.equal(true);
    const frames = await received(name, 2);
    expect(frames[1]).to.deep.equal(binary(expected));
  });

  for (const when of ['open', 'connecting'] as const) {
    it(`sendBase64Audio(buffer) of several slices, then buffer.fill(0), sends the bytes of the call (${when})`, async () => {
      const { element, name } = when === 'open' ? await openElement() : make({}, false);
      // Over the encoder's 768 KiB slice, so it yields to the page between slices.
      const clip = pattern(1024 * 1024 + 1, 7);
      const expected = reference(clip);
      const sent = element.sendBase64Audio(clip);
      const sentView = element.sendBase64Video(new DataView(clip.buffer, 1, clip.length - 2));
      const expectedView = reference(clip.slice(1, -1));
      clip.fill(0);
      if (when === 'connecting') document.body.append(element);
      expect(await Promise.all([sent, sentView])).to.deep.equal([true, true]);
      const frames = (await received(name, 2)).map(parse);
      expect(frames[0].data === expected, 'the buffer arrived as it was at the call').to.equal(true);
      expect(frames[1].data === expectedView, 'the DataView arrived as it was at the call').to.equal(true);
    });
  }
});

describe('send path: what a WebSocket cannot send', function () {
  this.timeout(30_000);

  /** A SharedArrayBuffer without cross-origin isolation: every engine tested gives one for shared wasm memory. */
  const shared = () => new WebAssembly.Memory({ shared: true, initial: 1, maximum: 1 } as WebAssembly.MemoryDescriptor).buffer;
  const resizable = () => new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(8, { maxByteLength: 16 });

  it('throws a TypeError from sendRaw at the call for shared or resizable memory, open or not', async () => {
    const values: [string, () => unknown][] = [
      ['a view on a SharedArrayBuffer', () => new Uint8Array(shared(), 0, 4)],
      ['a DataView on a SharedArrayBuffer', () => new DataView(shared(), 0, 4)],
      ['a SharedArrayBuffer', shared],
      ['a resizable ArrayBuffer', resizable],
      ['a view on a resizable ArrayBuffer', () => new Uint8Array(resizable())],
    ];
    expect(Object.prototype.toString.call(shared())).to.equal('[object SharedArrayBuffer]');
    const connecting = make({}, false);
    const open = await openElement();
    for (const { element } of [connecting, open]) {
      const loose = element as unknown as { sendRaw(data: unknown): boolean };
      for (const [what, value] of values) expect(() => loose.sendRaw(value()), what).to.throw(TypeError);
      expect(element.queued).to.equal(0);
    }
    // Nothing was queued, so what follows goes out alone and the connection carries on.
    connecting.element.sendRaw('after');
    document.body.append(connecting.element);
    expect(await received(connecting.name, 1)).to.deep.equal(['after']);
    open.element.sendRaw('after');
    expect(await received(open.name, 1)).to.deep.equal(['after']);
  });

  it('turns a frame the socket refuses during the flush on open into an error of kind send; open fires and the rest go out', async () => {
    const Original = globalThis.WebSocket;
    // A socket that refuses one frame, as WebSocket.send does with arguments it cannot take.
    globalThis.WebSocket = class extends Original {
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView) {
        if (data === 'refused') throw new TypeError('this socket refuses the frame "refused"');
        super.send(data as ArrayBuffer);
      }
    };
    const uncaught: unknown[] = [];
    const mochaOnError = window.onerror;
    window.onerror = (message, _source, _line, _column, error) => {
      uncaught.push(error ?? message);
      return true;
    };
    try {
      const { element, name, errors } = make({}, false);
      element.sendText('before');
      element.sendRaw('refused');
      element.sendRaw(pattern(4));
      element.sendText('after');
      expect(element.queued).to.equal(4);
      const opened = nextEvent(element, 'open');
      document.body.append(element);
      await opened;
      expect(element.queued).to.equal(0);
      expect(await received(name, 3)).to.deep.equal(['{"type":"text","data":"before"}', binary(pattern(4)), '{"type":"text","data":"after"}']);
      expect(errors.map((error) => error.kind)).to.deep.equal(['send']);
      expect(errors[0].message).to.include('"refused"');
      expect(errors[0].error).to.be.instanceOf(TypeError);
      element.sendText('still open');
      expect((await received(name, 4))[3]).to.equal('{"type":"text","data":"still open"}');
    } finally {
      globalThis.WebSocket = Original;
      window.onerror = mochaOnError;
    }
    expect(uncaught).to.deep.equal([]);
  });
});
