// The wire rules both halves share (src/protocol), on their own: decoding, encoding, reserved
// types, close codes. Pure functions, so every rule is checked without a socket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CloseCode, decodeFrame, encodeFrame, encodeReply, isSendableCloseCode, readFrame, ReplyError, RESERVED_TYPES, typeProblem } from '../../dist/protocol/index.js';

describe('decoding a frame', () => {
  test('an envelope is a frame; a missing data is null; an id makes it a request', () => {
    assert.deepEqual(decodeFrame('{"type":"chat","data":{"text":"hi"}}'), { kind: 'frame', type: 'chat', data: { text: 'hi' }, id: undefined });
    assert.deepEqual(decodeFrame('{"type":"tick"}'), { kind: 'frame', type: 'tick', data: null, id: undefined });
    assert.deepEqual(decodeFrame('{"type":"cart.add","data":1,"id":"k3-17"}'), { kind: 'frame', type: 'cart.add', data: 1, id: 'k3-17' });
  });

  test('fields beyond type, data and id are ignored, so later versions can add some', () => {
    assert.deepEqual(decodeFrame('{"type":"chat","data":1,"seq":12}'), { kind: 'frame', type: 'chat', data: 1, id: undefined });
  });

  test('what is not an envelope says why', () => {
    for (const [text, problem] of [
      ['hello', 'is not JSON'],
      ['', 'is not JSON'],
      ['[1,2]', 'is JSON but not an object'],
      ['null', 'is JSON but not an object'],
      ['"chat"', 'is JSON but not an object'],
      ['{"data":1}', 'has no non-empty string "type"'],
      ['{"type":""}', 'has no non-empty string "type"'],
      ['{"type":7}', 'has no non-empty string "type"'],
      ['{"type":"chat","id":7}', 'has an "id" that is not a string'],
      ['{"type":"chat","id":null}', 'has an "id" that is not a string'],
    ]) {
      assert.deepEqual(decodeFrame(text), { kind: 'invalid', problem }, text);
    }
  });

  test("the element's own event names are reserved, with or without an id", () => {
    for (const type of ['open', 'message', 'error', 'close', 'reconnecting', 'drain']) {
      assert.deepEqual(decodeFrame(JSON.stringify({ type, data: 1 })), { kind: 'reserved', type, data: 1, id: undefined });
      assert.deepEqual(decodeFrame(JSON.stringify({ type, id: 'a' })), { kind: 'reserved', type, data: null, id: 'a' });
    }
    assert.deepEqual([...RESERVED_TYPES].sort(), ['close', 'drain', 'error', 'message', 'open', 'reconnecting', 'reply', 'resumed']);
  });

  test('a reply carries its id and exactly one of data and error', () => {
    assert.deepEqual(decodeFrame('{"type":"reply","id":"a","data":null}'), { kind: 'reply', reply: { id: 'a', data: null } });
    assert.deepEqual(decodeFrame('{"type":"reply","id":"a","error":{"message":"no","code":"c","data":[1]}}'), {
      kind: 'reply',
      reply: { id: 'a', error: { message: 'no', code: 'c', data: [1] } },
    });
    assert.deepEqual(decodeFrame('{"type":"reply","id":"a","error":{"message":"no","code":5}}'), { kind: 'reply', reply: { id: 'a', error: { message: 'no' } } });
    for (const [text, problem] of [
      ['{"type":"reply","data":1}', 'is a reply without a string "id"'],
      ['{"type":"reply","id":3,"data":1}', 'is a reply without a string "id"'],
      ['{"type":"reply","id":"a"}', 'is a reply with both or neither of "data" and "error"'],
      ['{"type":"reply","id":"a","data":1,"error":{"message":"x"}}', 'is a reply with both or neither of "data" and "error"'],
      ['{"type":"reply","id":"a","error":"no"}', 'is a reply whose "error" is not {"message": string, ...}'],
      ['{"type":"reply","id":"a","error":{"code":"x"}}', 'is a reply whose "error" is not {"message": string, ...}'],
    ]) {
      assert.deepEqual(decodeFrame(text), { kind: 'invalid', problem }, text);
    }
  });

  test('an own "__proto__" key is data, never a prototype', () => {
    const decoded = decodeFrame('{"type":"x","data":{"__proto__":{"polluted":true}}}');
    assert.equal(decoded.kind, 'frame');
    assert.equal({}.polluted, undefined);
    assert.equal(readFrame(JSON.parse('{"__proto__":{"type":"x"}}')).kind, 'invalid');
  });

  test('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const decoded = decodeFrame(text);
        assert.ok(['frame', 'reply', 'reserved', 'invalid'].includes(decoded.kind));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encoding a frame', () => {
  test('a frame, a request, and both forms of a reply', () => {
    assert.equal(encodeFrame('chat', { text: 'hi' }), '{"type":"chat","data":{"text":"hi"}}');
    assert.equal(encodeFrame('history', 50, 's1.7'), '{"type":"history","data":50,"id":"s1.7"}');
    assert.equal(encodeReply('a"b', { data: [1] }), '{"type":"reply","id":"a\\"b","data":[1]}');
    assert.equal(encodeReply('a', { data: undefined }), '{"type":"reply","id":"a","data":null}');
    assert.equal(encodeReply('a', { error: { message: 'no', code: 'c' } }), '{"type":"reply","id":"a","error":{"message":"no","code":"c"}}');
  });

  test('what is encoded decodes to the same frame', () => {
    const type = fc.string({ minLength: 1 }).filter((t) => !RESERVED_TYPES.has(t));
    fc.assert(
      fc.property(type, fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (t, data, id) => {
        assert.deepEqual(decodeFrame(encodeFrame(t, data, id)), { kind: 'frame', type: t, data: JSON.parse(JSON.stringify(data)), id });
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (id, data) => {
        assert.deepEqual(decodeFrame(encodeReply(id, { data })), { kind: 'reply', reply: { id, data: JSON.parse(JSON.stringify(data)) } });
      }),
      { numRuns: 500 },
    );
  });

  test('data JSON cannot write throws, for the caller to report', () => {
    assert.throws(() => encodeFrame('x', 1n), TypeError);
    const cycle = {};
    cycle.self = cycle;
    assert.throws(() => encodeReply('a', { data: cycle }), TypeError);
  });
});

describe('types and close codes', () => {
  test('typeProblem refuses what a frame cannot be named', () => {
    assert.equal(typeProblem('chat'), null);
    assert.match(typeProblem(''), /non-empty string/);
    assert.match(typeProblem(3), /non-empty string/);
    assert.match(typeProblem('reply'), /answers/);
    assert.match(typeProblem('open'), /own events/);
  });

  test('the codes a close frame may carry', () => {
    for (const code of [1000, 1001, 1003, 1007, 1008, 1011, 1012, 1013, 1014, 3000, 4999]) assert.ok(isSendableCloseCode(code), String(code));
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 1000.5, '1000']) assert.ok(!isSendableCloseCode(code), String(code));
    assert.deepEqual(CloseCode, { normal: 1000, protocolError: 1002, policy: 1008, tooBig: 1009, restart: 1012, tryAgainLater: 1013, heartbeatTimeout: 4000 });
  });

  test('ReplyError carries the code and data it was given, and only those', () => {
    const error = new ReplyError('out of stock', { code: 'stock', data: { left: 0 } });
    assert.equal(error.name, 'ReplyError');
    assert.deepEqual([error.message, error.code, error.data], ['out of stock', 'stock', { left: 0 }]);
    assert.ok(!('code' in new ReplyError('x')) && !('data' in new ReplyError('x')));
    assert.ok(new ReplyError('x') instanceof Error);
  });
});
