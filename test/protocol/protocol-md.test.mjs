// PROTOCOL.md is the contract between the element and any server: its examples are read here
// and checked against the rules both halves share (src/protocol), so the prose cannot drift
// from the code. Each JSON example is preceded by a comment naming what it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloseCode, encodeFrame, encodeReply, PROTOCOL_VERSION, readFrame, RESERVED_TYPES } from '../../dist/protocol/index.js';
import { encodeResumed, readHello, withNumber } from '../../dist/protocol/resume-frames.js';

const text = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');

/** Every ```json block, with the `<!-- kind -->` comment before it (or null). */
const examples = [...text.matchAll(/(?:<!-- ([a-z-]+) -->\n)?```json\n([\s\S]*?)```/g)].map(([, kind = null, json]) => ({ kind, json, value: JSON.parse(json) }));

/** What each kind of example must decode to, and the encoder's output it must equal. */
const RULES = {
  frame: (value, decoded) => {
    assert.equal(decoded.kind, 'frame');
    assert.equal(decoded.id, undefined);
    if ('data' in value) assert.deepEqual(JSON.parse(encodeFrame(decoded.type, decoded.data)), value);
  },
  request: (value, decoded) => {
    assert.equal(decoded.kind, 'frame');
    assert.equal(typeof decoded.id, 'string');
    assert.deepEqual(JSON.parse(encodeFrame(decoded.type, decoded.data, decoded.id)), value);
  },
  reply: (value, decoded) => {
    assert.equal(decoded.kind, 'reply');
    assert.ok('data' in decoded.reply && !('error' in decoded.reply));
    assert.deepEqual(JSON.parse(encodeReply(decoded.reply.id, { data: decoded.reply.data })), value);
  },
  'error-reply': (value, decoded) => {
    assert.equal(decoded.kind, 'reply');
    assert.equal(typeof decoded.reply.error.message, 'string');
    assert.deepEqual(JSON.parse(encodeReply(decoded.reply.id, { error: decoded.reply.error })), value);
  },
  reserved: (_value, decoded) => assert.equal(decoded.kind, 'reserved'),
  // Resume: the page's hello, the server's answer and acknowledgements, numbered frames.
  hello: (value, decoded) => {
    assert.equal(decoded.kind, 'reserved');
    assert.equal(typeof readHello(JSON.stringify(value)), 'object');
  },
  resumed: (value, decoded) => {
    assert.equal(decoded.kind, 'reserved');
    assert.deepEqual(JSON.parse(encodeResumed(value.data)), value);
  },
  numbered: (value, decoded) => {
    assert.ok(decoded.kind === 'frame' || decoded.kind === 'reply');
    const { n, r = '', ...frame } = value;
    assert.deepEqual(JSON.parse(withNumber(JSON.stringify(frame), n, r)), value);
  },
  invalid: (_value, decoded) => assert.equal(decoded.kind, 'invalid'),
};

test('the title names the version the code speaks', () => {
  assert.equal(/^# bricks-websocket protocol, version (\d+)$/m.exec(text)?.[1], String(PROTOCOL_VERSION));
});

test('every JSON example says what it is, and is what it says', () => {
  assert.ok(examples.length >= 15, `only ${examples.length} examples found`);
  for (const { kind, json, value } of examples) {
    assert.ok(kind in RULES, `the example ${json.trim()} has no <!-- kind --> comment before it (one of ${Object.keys(RULES).join(', ')})`);
    RULES[kind](value, readFrame(value));
  }
  assert.deepEqual(new Set(examples.map(({ kind }) => kind)), new Set(Object.keys(RULES)), 'an example of every kind');
});

test('the reserved types are the ones the code reserves', () => {
  const section = text.slice(text.indexOf('### Reserved types'), text.indexOf('## Requests and replies'));
  const paragraph = section.split('\n\n')[1];
  const named = [...paragraph.matchAll(/`([a-z]+)`/g)].map(([, type]) => type);
  assert.deepEqual(new Set(named), RESERVED_TYPES);
});

test('the close-code table is the code’s list of close codes', () => {
  const table = text.slice(text.indexOf('<!-- close-codes -->'));
  const rows = [...table.matchAll(/^\| (\d{4}) \| (\w+) \|/gm)].map(([, code, name]) => [name, Number(code)]);
  assert.deepEqual(Object.fromEntries(rows), CloseCode);
});
