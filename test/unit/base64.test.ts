// Standard padded base64 for audio and video payloads, checked against the browser's own btoa.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import * as base64 from '../../src/frames/base64.js';
import { mimeType } from './mime-types.js';

type Base64Module = typeof base64;

/**
 * A second copy of the module that finds no native Uint8Array.prototype.toBase64, as in
 * browsers without it: the query string makes the browser load and run it anew.
 */
async function withoutNativeToBase64(): Promise<Base64Module> {
  const proto = Uint8Array.prototype as { toBase64?: unknown };
  const native = Object.getOwnPropertyDescriptor(proto, 'toBase64');
  delete proto.toBase64;
  try {
    return (await import(new URL('../../src/frames/base64.ts?without-native-toBase64', import.meta.url).href)) as Base64Module;
  } finally {
    if (native) Object.defineProperty(proto, 'toBase64', native);
  }
}

/** The reference: btoa over the bytes, in slices of 3 * 4096 so large inputs do not overflow. */
function reference(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3 * 4096) {
    let binary = '';
    for (const byte of bytes.subarray(i, i + 3 * 4096)) binary += String.fromCharCode(byte);
    out += btoa(binary);
  }
  return out;
}

function describeEncoding(title: string, load: () => Promise<Base64Module>) {
  describe(title, () => {
    let bytesToBase64: Base64Module['bytesToBase64'];
    let toBase64: Base64Module['toBase64'];
    before(async () => {
      ({ bytesToBase64, toBase64 } = await load());
    });

    it('bytesToBase64 equals btoa for arbitrary byte arrays', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
          expect(await bytesToBase64(bytes)).to.equal(reference(bytes));
        }),
      );
    });

    it('toBase64 equals btoa for arbitrary byte arrays, passed as ArrayBuffer and as Blob', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
          const expected = reference(bytes);
          expect(await toBase64(bytes.slice().buffer)).to.equal(expected);
          expect(await toBase64(new Blob([bytes.slice()]))).to.equal(expected);
        }),
        { numRuns: 50 },
      );
    });

    it('encodes only the viewed bytes of a typed array with a nonzero byteOffset', async () => {
      const buffer = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255).buffer;
      const u8 = new Uint8Array(buffer, 5, 11);
      expect(await toBase64(u8)).to.equal(reference(u8));
      const u16 = new Uint16Array(buffer, 6, 7);
      expect(await toBase64(u16)).to.equal(reference(new Uint8Array(buffer, 6, 14)));
      const f32 = new Float32Array(buffer, 8, 3);
      expect(await toBase64(f32)).to.equal(reference(new Uint8Array(buffer, 8, 12)));
    });

    it('encodes only the viewed bytes of a DataView', async () => {
      const buffer = Uint8Array.from({ length: 32 }, (_, i) => 255 - i).buffer;
      expect(await toBase64(new DataView(buffer, 3, 7))).to.equal(reference(new Uint8Array(buffer, 3, 7)));
    });

    it('encodes all of an ArrayBuffer and a Blob, padding each length correctly', async () => {
      expect(await toBase64(new ArrayBuffer(0))).to.equal('');
      expect(await toBase64(new Uint8Array([0xff]).buffer)).to.equal('/w==');
      expect(await toBase64(new Uint8Array([0xff, 0xfe]).buffer)).to.equal('//4=');
      expect(await toBase64(new Uint8Array([0xff, 0xfe, 0xfd]).buffer)).to.equal('//79');
      expect(await toBase64(new Blob([]))).to.equal('');
      expect(await toBase64(new Blob(['hi!'], { type: 'audio/wav' }))).to.equal('aGkh');
    });

    it('toBase64 of a Blob is the base64 of its bytes whatever its MIME type: commas, quotes, parameters, none', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), mimeType, async (bytes, type) => {
          expect(await toBase64(new Blob([bytes], { type }))).to.equal(reference(bytes));
        }),
        { numRuns: 200 },
      );
    });

    it('encodes the bytes as they were at the call, though the caller writes to them while slices are encoded', async () => {
      const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 13 + (i >> 10)) & 255);
      const expected = reference(bytes);
      const small = Uint8Array.from([1, 2, 3, 4]);
      const encoding = [bytesToBase64(bytes), toBase64(new DataView(bytes.buffer, 2, 1024 * 1024)), bytesToBase64(small)];
      const expectedView = reference(bytes.subarray(2, 2 + 1024 * 1024));
      bytes.fill(0);
      small.fill(0);
      const [all, view, few] = await Promise.all(encoding);
      expect(all === expected, 'the whole buffer as it was').to.equal(true);
      expect(view === expectedView, 'the DataView as it was').to.equal(true);
      expect(few).to.equal('AQIDBA==');
    });

    it('encodes a view on shared memory, and a detached buffer as nothing', async () => {
      const shared = new Uint8Array(new WebAssembly.Memory({ shared: true, initial: 1, maximum: 1 } as WebAssembly.MemoryDescriptor).buffer, 0, 5);
      shared.set([250, 251, 252, 253, 254]);
      expect(await toBase64(shared)).to.equal(reference(shared.slice()));
      const buffer = new ArrayBuffer(4);
      const view = new DataView(buffer, 1);
      structuredClone(buffer, { transfer: [buffer] });
      expect(await toBase64(buffer)).to.equal('');
      expect(await toBase64(view)).to.equal('');
    });

    it('encodes 16 MiB without throwing, to the right length and content', async () => {
      const bytes = new Uint8Array(16 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 255;
      const encoded = await bytesToBase64(bytes);
      expect(encoded.length).to.equal(4 * Math.ceil(bytes.length / 3));
      expect(encoded.slice(0, 8)).to.equal(reference(bytes.subarray(0, 6)));
      expect(encoded.slice(-4)).to.equal(reference(bytes.subarray(bytes.length - 1)));
      // Compared as a boolean: a diff of two 22 MB strings would drown the report.
      expect(encoded === reference(bytes), 'equals the reference encoding').to.equal(true);
    });
  });
}

describeEncoding('base64: encoding bytes', async () => base64);
describeEncoding('base64: encoding bytes without a native toBase64', withoutNativeToBase64);

describe('base64: decoding clips (base64ToBytes)', () => {
  it('gives back the bytes btoa encoded, with or without padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = btoa(String.fromCharCode(...bytes));
        expect([...base64.base64ToBytes(text)]).to.deep.equal([...bytes]);
        expect([...base64.base64ToBytes(text.replace(/=+$/, ''))]).to.deep.equal([...bytes]);
      }),
    );
  });

  it('throws on text that is not base64', () => {
    for (const bad of ['%%', 'a', 'ab$d', 'data:audio/webm;base64,AAAA']) expect(() => base64.base64ToBytes(bad), bad).to.throw();
  });

  it('decodes the same without a native Uint8Array.fromBase64', async () => {
    const native = Object.getOwnPropertyDescriptor(Uint8Array, 'fromBase64');
    delete (Uint8Array as { fromBase64?: unknown }).fromBase64;
    let copy: Base64Module;
    try {
      copy = (await import(new URL('../../src/frames/base64.ts?without-native-fromBase64', import.meta.url).href)) as Base64Module;
    } finally {
      if (native) Object.defineProperty(Uint8Array, 'fromBase64', native);
    }
    expect([...copy.base64ToBytes('AAEC/w==')]).to.deep.equal([0, 1, 2, 255]);
    expect(() => copy.base64ToBytes('%%')).to.throw();
  });
});
