// What a WebSocket can send: recognising input, what WebSocket.send would refuse, and copies of
// payloads as they are at the call.

import { expect } from '@open-wc/testing';
import { copyOf, describePayload, isBinary, isBlob, sendProblem } from '../../src/frames/payload.js';

/** Shared memory without cross-origin isolation: every engine tested makes shared wasm memory. */
const sharedBuffer = () => new WebAssembly.Memory({ shared: true, initial: 1, maximum: 1 } as WebAssembly.MemoryDescriptor).buffer;
const resizableBuffer = () => new (ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(8, { maxByteLength: 16 });

describe('payload: recognising input', () => {
  it('isBlob accepts Blob and File and rejects buffers and strings', () => {
    expect(isBlob(new Blob(['x']))).to.equal(true);
    expect(isBlob(new File(['x'], 'x.wav'))).to.equal(true);
    expect(isBlob(new ArrayBuffer(1))).to.equal(false);
    expect(isBlob('x')).to.equal(false);
    expect(isBlob(null)).to.equal(false);
  });

  it('isBinary accepts ArrayBuffer, typed arrays and DataView, and rejects the rest', () => {
    expect(isBinary(new ArrayBuffer(1))).to.equal(true);
    expect(isBinary(new Uint8Array(1))).to.equal(true);
    expect(isBinary(new DataView(new ArrayBuffer(1)))).to.equal(true);
    for (const value of ['AAAA', [1, 2], { byteLength: 1 }, null, undefined, 3, new Blob([])]) {
      expect(isBinary(value), String(value)).to.equal(false);
    }
  });

  it('recognises buffers and Blobs made in another frame', () => {
    const frame = document.createElement('iframe');
    document.body.append(frame);
    try {
      const other = frame.contentWindow as unknown as typeof globalThis;
      expect(new other.ArrayBuffer(1) instanceof ArrayBuffer).to.equal(false);
      expect(isBinary(new other.ArrayBuffer(1))).to.equal(true);
      expect(isBinary(new other.Uint8Array(1))).to.equal(true);
      expect(isBlob(new other.Blob(['x']))).to.equal(true);
    } finally {
      frame.remove();
    }
  });
});

describe('payload: what WebSocket.send takes', () => {
  it('takes strings, Blobs, ArrayBuffers, typed arrays and DataViews, also from another frame and detached', () => {
    const frame = document.createElement('iframe');
    document.body.append(frame);
    try {
      const other = frame.contentWindow as unknown as typeof globalThis;
      const detached = new ArrayBuffer(2);
      structuredClone(detached, { transfer: [detached] });
      for (const value of ['', 'x', new Blob([]), new File([], 'f'), new ArrayBuffer(0), new Uint16Array(2), new DataView(new ArrayBuffer(1)), new other.ArrayBuffer(1), new other.Uint8Array(1), detached]) {
        expect(sendProblem(value), Object.prototype.toString.call(value)).to.equal(null);
      }
    } finally {
      frame.remove();
    }
  });

  it('names shared memory, resizable memory and anything else WebSocket.send throws for', () => {
    expect(sendProblem(new Uint8Array(sharedBuffer()))).to.match(/shared memory/);
    expect(sendProblem(new DataView(sharedBuffer()))).to.match(/shared memory/);
    expect(sendProblem(sharedBuffer())).to.match(/shared memory/);
    expect(sendProblem(resizableBuffer())).to.match(/resizable/);
    expect(sendProblem(new Float32Array(resizableBuffer()))).to.match(/resizable/);
    for (const value of [null, undefined, 1, {}, [1], { byteLength: 1 }]) expect(sendProblem(value)).to.match(/pass a string/);
  });

  it('agrees with this browser: WebSocket.send throws for exactly what sendProblem names', () => {
    // A socket that never opens is enough: WebSocket.send checks its argument's type before its state.
    const socket = new WebSocket('ws://127.0.0.1:9/');
    try {
      for (const value of [new Uint8Array(sharedBuffer()), sharedBuffer(), resizableBuffer(), new Uint8Array(resizableBuffer())]) {
        expect(() => socket.send(value as ArrayBuffer), Object.prototype.toString.call(value)).to.throw(TypeError);
      }
    } finally {
      socket.close();
    }
  });
});

describe('payload: copies as at the call', () => {
  it('copies the viewed bytes of binary input into a buffer of its own', () => {
    const buffer = Uint8Array.from([1, 2, 3, 4, 5, 6]).buffer;
    const cases: [ArrayBuffer | ArrayBufferView, number[]][] = [
      [buffer, [1, 2, 3, 4, 5, 6]],
      [new Uint8Array(buffer, 1, 3), [2, 3, 4]],
      [new Uint16Array(buffer, 2, 2), [3, 4, 5, 6]],
      [new DataView(buffer, 5), [6]],
    ];
    for (const [input, expected] of cases) {
      const copy = copyOf(input);
      expect(copy).to.be.instanceOf(ArrayBuffer);
      expect(copy).to.not.equal(buffer);
      expect(Array.from(new Uint8Array(copy as ArrayBuffer))).to.deep.equal(expected);
    }
    new Uint8Array(buffer).fill(0);
    expect(Array.from(new Uint8Array(copyOf(new Uint8Array(buffer, 1, 2)) as ArrayBuffer))).to.deep.equal([0, 0]);
  });

  it('copies a detached buffer, or a view on one, as no bytes', () => {
    const buffer = new ArrayBuffer(4);
    const views = [new Uint8Array(buffer), new DataView(buffer, 1)];
    structuredClone(buffer, { transfer: [buffer] });
    for (const input of [buffer, ...views]) expect((copyOf(input) as ArrayBuffer).byteLength).to.equal(0);
  });

  it('keeps strings and Blobs as they are: they cannot change', () => {
    const blob = new Blob(['x']);
    expect(copyOf('text')).to.equal('text');
    expect(copyOf(blob)).to.equal(blob);
  });

  it('describes a frame by its text or its size', () => {
    expect(describePayload('hello')).to.equal('the text frame "hello"');
    expect(describePayload(new Uint16Array(3))).to.equal('a 6-byte binary frame');
    expect(describePayload(new Blob(['abc']))).to.equal('a 3-byte Blob');
  });
});
