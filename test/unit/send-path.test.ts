// The element's send path against mock-socket (issue 11, items 1-4), where a fake socket is
// clearer than the real one: any MIME type, a socket whose send() throws, and what is handed
// to the socket, byte for byte.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { mimeType } from './mime-types.js';
import { catchingWindowErrors, details, mockUrl, mount, until, useMockNetwork, type RecordingSocket } from './mock-network.js';

const network = useMockNetwork();

const errors = (el: HTMLElement) => details<BricksWebSocketErrorDetail>(el, 'error');

/** btoa over the bytes: what base64 payloads must equal. */
const reference = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));

/** What was handed to the socket, with binary payloads as plain byte arrays. */
const bytesOf = (payload: unknown) =>
  ArrayBuffer.isView(payload)
    ? Array.from(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength))
    : payload instanceof ArrayBuffer
      ? Array.from(new Uint8Array(payload))
      : payload;

async function opened(attributes: Record<string, string> = {}) {
  const url = mockUrl();
  const server = network.serve(url);
  const el = mount({ 'ws-url': url, ...attributes });
  await until(el, 'open');
  return { el, server, socket: network.last() };
}

/** Makes `socket.send` throw for payloads `refuses` picks, as WebSocket.send does for what it cannot take. */
function refusing(socket: RecordingSocket, refuses: (payload: unknown) => boolean) {
  const send = socket.send.bind(socket);
  socket.send = (payload) => {
    if (refuses(payload)) throw new TypeError('the socket refuses this frame');
    send(payload);
  };
}

describe('send path: base64 of a Blob whatever its MIME type', () => {
  it('writes a valid frame holding exactly the standard base64 of the bytes, for any type (property)', async () => {
    const { el, socket } = await opened();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), mimeType, async (bytes, type) => {
        socket.sent.length = 0;
        expect(await el.sendBase64Video(new Blob([bytes], { type }))).to.equal(true);
        expect(socket.sent).to.have.length(1);
        expect(JSON.parse(socket.sent[0] as string)).to.deep.equal({ type: 'base64video', data: reference(bytes) });
      }),
      { numRuns: 200 },
    );
    expect(errors(el)).to.deep.equal([]);
  });
});

describe('send path: queue-limit and frames being encoded', () => {
  it('with queue-limit 0, accepts and sends binary input while open', async () => {
    const { el, socket } = await opened({ 'queue-limit': '0' });
    expect(await el.sendBase64Audio(new Uint8Array([1, 2, 3]))).to.equal(true);
    expect(el.sendText('next')).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"base64audio","data":"AQID"}', '{"type":"text","data":"next"}']);
    expect(errors(el)).to.deep.equal([]);
  });

  it('with queue-limit 1, accepts any number of sends while open behind a Blob being read, and keeps call order', async () => {
    const { el, socket } = await opened({ 'queue-limit': '1' });
    const clip = el.sendBase64Audio(new Blob([new Uint8Array([1, 2, 3])], { type: 'audio/webm;codecs=opus' }));
    const results = [el.sendText('a'), el.send('b', 2), el.sendRaw('c')];
    expect(results).to.deep.equal([true, true, true]);
    expect(el.queued).to.equal(4);
    expect(await clip).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"base64audio","data":"AQID"}', '{"type":"text","data":"a"}', '{"type":"b","data":2}', 'c']);
    expect(errors(el)).to.deep.equal([]);
  });

  it('keeps frames accepted while open when the connection drops during the encode, and sends them on the next open', async () => {
    const url = mockUrl();
    const server = network.serve(url);
    const el = mount({ 'ws-url': url, 'queue-limit': '0', 'reconnect-delay': '0' });
    await until(el, 'open');
    const clip = el.sendBase64Audio(new Blob([new Uint8Array([7])]));
    el.sendText('behind the clip');
    // The mock server's close() reaches the element at once, while the Blob is still being read.
    server.close({ code: 4001, reason: 'drop', wasClean: false });
    network.serve(url);
    const reopened = until(el, 'open');
    expect(el.state).to.equal('reconnecting');
    // Frames that wait for the connection are bounded: queue-limit 0 refuses them.
    expect(el.sendText('while down')).to.equal(false);
    expect(errors(el).map((e) => e.kind)).to.deep.equal(['queue-full']);
    expect(await clip).to.equal(true);
    await reopened;
    expect(network.last().sent).to.deep.equal(['{"type":"base64audio","data":"Bw=="}', '{"type":"text","data":"behind the clip"}']);
  });
});

describe('send path: copies at the call', () => {
  it('hands the socket the bytes of the call for binary frames that had to wait', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url });
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const view = new Uint16Array([0x0102, 0x0304, 0x0506]).subarray(1);
    const dataView = new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2);
    const expected = [bytesOf(buffer), bytesOf(view), bytesOf(dataView)];
    el.sendRaw(buffer);
    el.sendRaw(view);
    el.sendRaw(dataView);
    new Uint8Array(buffer).fill(0);
    view.fill(0);
    dataView.setUint16(0, 0);
    await until(el, 'open');
    expect(network.last().sent.map(bytesOf)).to.deep.equal(expected);
  });

  it('sends a buffer detached before the call as 0 bytes, as WebSocket.send does', async () => {
    const { el, socket } = await opened();
    const buffer = new ArrayBuffer(8);
    const dataView = new DataView(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    const clip = el.sendBase64Audio(new Blob([new Uint8Array([1])]));
    expect(el.sendRaw(buffer)).to.equal(true);
    expect(el.sendRaw(dataView)).to.equal(true);
    expect(await el.sendBase64Video(buffer)).to.equal(true);
    await clip;
    expect(socket.sent.map(bytesOf)).to.deep.equal(['{"type":"base64audio","data":"AQ=="}', [], [], '{"type":"base64video","data":""}']);
  });
});

describe('send path: frames the socket refuses', () => {
  it('reports a frame refused in the flush on open as error kind send, fires open, and sends the rest', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url });
    el.sendText('before');
    el.sendRaw('refused');
    el.send('after', 1);
    refusing(network.last(), (payload) => payload === 'refused');
    const uncaught = await catchingWindowErrors(async () => {
      await until(el, 'open');
    });
    expect(uncaught).to.deep.equal([]);
    expect(network.last().sent).to.deep.equal(['{"type":"text","data":"before"}', '{"type":"after","data":1}']);
    expect(el.queued).to.equal(0);
    expect(errors(el).map((e) => e.kind)).to.deep.equal(['send']);
    expect(errors(el)[0].message).to.include('"refused"');
    expect(errors(el)[0].error).to.be.instanceOf(TypeError);
  });

  it('reports a frame refused while open as error kind send and returns false, without throwing', async () => {
    const { el, socket } = await opened();
    refusing(socket, (payload) => payload instanceof ArrayBuffer);
    expect(el.sendRaw(new ArrayBuffer(3))).to.equal(false);
    expect(errors(el).map((e) => e.kind)).to.deep.equal(['send']);
    expect(errors(el)[0].message).to.include('3-byte');
    expect(el.sendText('next')).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"text","data":"next"}']);
  });

  it('reports a frame refused after an encode as error kind send, resolves false, and sends the frames behind it', async () => {
    const { el, socket } = await opened();
    refusing(socket, (payload) => typeof payload === 'string' && payload.startsWith('{"type":"base64audio"'));
    const clip = el.sendBase64Audio(new Blob([new Uint8Array([1])]));
    el.sendText('behind');
    expect(await clip).to.equal(false);
    expect(errors(el).map((e) => e.kind)).to.deep.equal(['send']);
    expect(socket.sent).to.deep.equal(['{"type":"text","data":"behind"}']);
  });
});
