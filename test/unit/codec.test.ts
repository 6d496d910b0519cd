// The frame codec: what counts as an envelope, what is reported, and what goes out.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import type { Base64 } from '../../src/frames/base64.js';
import { RESERVED_TYPES, decodeFrame, encodeBase64Frame, encodeFrame, type Decoded } from '../../src/frames/codec.js';

const RESERVED = ['open', 'message', 'error', 'close', 'reconnecting', 'drain', 'reply', 'resumed'];

/** The rules of issue 2, written independently of the codec: the oracle for the properties. */
function classify(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'not an object' };
  const own = (key: string) => (Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined);
  const type = own('type');
  if (typeof type !== 'string' || type === '') return { problem: 'bad type' };
  if (type === 'reply') {
    const id = own('id');
    const error = own('error') as { message?: unknown } | undefined;
    const hasData = Object.prototype.hasOwnProperty.call(value, 'data');
    const hasError = Object.prototype.hasOwnProperty.call(value, 'error');
    if (typeof id !== 'string' || hasData === hasError) return { problem: 'bad reply' };
    if (hasError && (typeof error !== 'object' || error === null || typeof error.message !== 'string')) return { problem: 'bad reply' };
    return { reply: hasData ? { id, data: own('data') } : { id, error: error as { message: string } } };
  }
  if (RESERVED.includes(type)) return { problem: 'bad type' };
  const id = own('id');
  return { type, data: own('data'), id: typeof id === 'string' ? id : undefined };
}

/** Only whether it is an envelope, and which: the problem sentences are the codec's own. */
const verdict = (decoded: Decoded) =>
  decoded.type !== undefined ? { type: decoded.type, data: decoded.data, id: decoded.id } : decoded.reply ? { reply: decoded.reply.id } : 'problem';

describe('codec: decodeFrame', () => {
  it('returns type and data of a JSON object with a non-empty string type', () => {
    expect(decodeFrame('{"type":"text","data":"hello"}')).to.deep.equal({ type: 'text', data: 'hello', id: undefined });
    expect(decodeFrame('{"data":[1,{"a":null}],"type":"chat-line","extra":true}')).to.deep.equal({
      type: 'chat-line',
      data: [1, { a: null }],
      id: undefined,
    });
  });

  it('passes data as is, including undefined when the frame has none', () => {
    const decoded = decodeFrame('{"type":"t"}');
    expect(decoded.problem).to.equal(undefined);
    expect(decoded.type).to.equal('t');
    expect('data' in decoded && decoded.data === undefined).to.equal(true);
    expect(decodeFrame('{"type":"t","data":null}')).to.deep.equal({ type: 't', data: null, id: undefined });
    expect(decodeFrame('{"type":"t","data":0}')).to.deep.equal({ type: 't', data: 0, id: undefined });
    expect(decodeFrame('{"type":"t","data":""}')).to.deep.equal({ type: 't', data: '', id: undefined });
  });

  it('reports text that is not JSON', () => {
    for (const text of ['', 'hello', '{type:"t"}', '{"type":"t"', 'undefined', "{'type':'t'}"]) {
      expect(decodeFrame(text).problem, text).to.be.a('string').and.not.equal('');
    }
  });

  it('reports JSON that is not an object: arrays, null, numbers, strings, booleans', () => {
    for (const text of ['[]', '[{"type":"t"}]', 'null', '0', '42.5', '"text"', 'true', 'false']) {
      const decoded = decodeFrame(text);
      expect(decoded.problem, text).to.be.a('string');
      expect(decoded.type, text).to.equal(undefined);
    }
  });

  it('reports an object whose type is missing, empty or not a string', () => {
    for (const text of ['{}', '{"data":1}', '{"type":""}', '{"type":1}', '{"type":null}', '{"type":["t"]}', '{"type":{"t":1}}', '{"type":true}']) {
      expect(decodeFrame(text).problem, text).to.be.a('string');
    }
  });

  it('reports the element\'s own event names as types and names the type in the problem', () => {
    expect([...RESERVED_TYPES].sort()).to.deep.equal([...RESERVED].sort());
    for (const type of RESERVED.filter((name) => name !== 'reply')) {
      const decoded = decodeFrame(JSON.stringify({ type, data: 1 }));
      expect(decoded.problem, type).to.include(`"${type}"`);
      expect(decoded.type, type).to.equal(undefined);
    }
  });

  it('returns a string id as the request id of a frame, and ignores an id of another type', () => {
    expect(decodeFrame('{"type":"ask","data":1,"id":"s-1"}')).to.deep.equal({ type: 'ask', data: 1, id: 's-1' });
    expect(decodeFrame('{"type":"ask","data":1,"id":7}')).to.deep.equal({ type: 'ask', data: 1, id: undefined });
  });

  it('reads a reply with data or with an error, and never dispatches it as an event', () => {
    expect(decodeFrame('{"type":"reply","id":"a-1","data":{"ok":true}}')).to.deep.equal({ reply: { id: 'a-1', data: { ok: true } } });
    expect(decodeFrame('{"type":"reply","id":"a-1","data":null}')).to.deep.equal({ reply: { id: 'a-1', data: null } });
    expect(decodeFrame('{"type":"reply","id":"a-2","error":{"message":"out of stock","code":"stock","data":[1]}}')).to.deep.equal({
      reply: { id: 'a-2', error: { message: 'out of stock', code: 'stock', data: [1] } },
    });
    expect(decodeFrame('{"type":"reply","id":"a-3","error":{"message":"no"}}')).to.deep.equal({ reply: { id: 'a-3', error: { message: 'no' } } });
  });

  it('reports a malformed reply: no string id, both or neither of data and error, an error without a message', () => {
    for (const text of [
      '{"type":"reply","data":1}',
      '{"type":"reply","id":5,"data":1}',
      '{"type":"reply","id":"a"}',
      '{"type":"reply","id":"a","data":1,"error":{"message":"x"}}',
      '{"type":"reply","id":"a","error":"boom"}',
      '{"type":"reply","id":"a","error":{"code":"x"}}',
      '{"type":"reply","id":"a","error":null}',
    ]) {
      const decoded = decodeFrame(text);
      expect(decoded.problem, text).to.be.a('string');
      expect(decoded.reply, text).to.equal(undefined);
    }
  });

  it('treats types that only resemble reserved names as ordinary types', () => {
    for (const type of ['Open', 'ERROR', ' close', 'message ', 'reconnect', 'opened']) {
      expect(decodeFrame(JSON.stringify({ type })).type, type).to.equal(type);
    }
  });

  it('reads __proto__ keys as data and never pollutes Object.prototype', () => {
    const hidden = decodeFrame('{"__proto__":{"type":"sneaky","polluted":1}}');
    expect(hidden.problem).to.be.a('string');
    const nested = decodeFrame('{"type":"t","data":{"__proto__":{"polluted":2}}}');
    expect(nested.type).to.equal('t');
    expect(Object.prototype.hasOwnProperty.call(nested.data, '__proto__')).to.equal(true);
    expect(Object.getPrototypeOf(nested.data)).to.equal(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(({} as Record<string, unknown>).type).to.equal(undefined);
  });

  it('never throws for any string, and classifies exactly per the rules', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        expect(verdict(decodeFrame(text))).to.deep.equal(verdict(classify(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for any JSON value, and classifies exactly per the rules', () => {
    const envelope = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...RESERVED, ''), fc.string(), fc.jsonValue()),
        data: fc.jsonValue(),
        // A computed key makes an own property named __proto__, as JSON.parse would.
        ['__proto__']: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), envelope), (value) => {
        const text = JSON.stringify(value);
        expect(verdict(decodeFrame(text))).to.deep.equal(verdict(classify(text)));
        expect(({} as Record<string, unknown>).type).to.equal(undefined);
      }),
      { numRuns: 500 },
    );
  });
});

describe('codec: encodeFrame and encodeBase64Frame', () => {
  it('encodeFrame writes {"type","data"} that JSON.parse reads back', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (type, data) => {
        const parsed = JSON.parse(encodeFrame(type, data));
        expect(Object.keys(parsed)).to.deep.equal(['type', 'data']);
        expect(parsed).to.deep.equal({ type, data: JSON.parse(JSON.stringify(data)) });
      }),
    );
  });

  it('encodeFrame leaves data out when it is undefined, as JSON does', () => {
    expect(JSON.parse(encodeFrame('t', undefined))).to.deep.equal({ type: 't' });
  });

  it('encodeFrame throws on a cycle or a BigInt, for the element to report', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeFrame('t', cyclic)).to.throw(TypeError);
    expect(() => encodeFrame('t', 1n)).to.throw(TypeError);
  });

  it('encodeBase64Frame round-trips through JSON.parse for any base64 and any type', () => {
    fc.assert(
      fc.property(fc.string(), fc.base64String(), (type, base64) => {
        expect(JSON.parse(encodeBase64Frame(type, base64 as Base64))).to.deep.equal({ type, data: base64 });
      }),
    );
  });

  it('encodeBase64Frame writes the same frame as encodeFrame', () => {
    expect(encodeBase64Frame('base64audio', 'AAEC/w==' as Base64)).to.equal(encodeFrame('base64audio', 'AAEC/w=='));
  });
});
