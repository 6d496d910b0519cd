// Where a connection goes and what it offers: URL resolution, subprotocols, and the session rules.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  buildTarget,
  isToken,
  readSession,
  resolveSocketUrl,
  sessionAllowed,
  splitList,
  type Target,
  type TargetProblem,
} from '../../src/connection/target.js';

const BASE = 'https://app.example.com/pages/chat.html?x=1';

/** The href of a resolved URL, or the problem's kind. */
function resolved(raw: string, base = BASE): string {
  const result = resolveSocketUrl(raw, base);
  return result instanceof URL ? result.href : `problem:${result.kind}`;
}

function isProblem(value: unknown): value is TargetProblem {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

describe('target: resolveSocketUrl', () => {
  it('keeps ws: and wss: URLs as given', () => {
    expect(resolved('ws://example.com:8080/socket?room=1')).to.equal('ws://example.com:8080/socket?room=1');
    expect(resolved('wss://example.com/socket')).to.equal('wss://example.com/socket');
  });

  it('maps http: to ws: and https: to wss:, keeping host, port, path and query', () => {
    expect(resolved('http://example.com:8080/socket?a=b')).to.equal('ws://example.com:8080/socket?a=b');
    expect(resolved('https://example.com/socket')).to.equal('wss://example.com/socket');
  });

  it('resolves a relative URL against the base, with the base\'s scheme mapped', () => {
    expect(resolved('/ws')).to.equal('wss://app.example.com/ws');
    expect(resolved('socket?room=2')).to.equal('wss://app.example.com/pages/socket?room=2');
    expect(resolved('//other.example.com/ws')).to.equal('wss://other.example.com/ws');
    expect(resolved('/ws', 'http://localhost:8000/')).to.equal('ws://localhost:8000/ws');
  });

  it('drops a fragment, which the WebSocket constructor would reject', () => {
    expect(resolved('ws://example.com/socket#part')).to.equal('ws://example.com/socket');
    expect(resolved('/ws#x')).to.equal('wss://app.example.com/ws');
  });

  it('drops an empty fragment too', () => {
    expect(resolved('ws://example.com/socket#')).to.equal('ws://example.com/socket');
  });

  it('refuses any other scheme with a problem of kind url, without throwing', () => {
    for (const raw of ['ftp://example.com/x', 'javascript:alert(1)', 'data:text/plain,hi', 'file:///etc/passwd', 'mailto:a@b.c']) {
      const result = resolveSocketUrl(raw, BASE);
      expect(isProblem(result), raw).to.equal(true);
      expect((result as TargetProblem).kind, raw).to.equal('url');
      expect((result as TargetProblem).message, raw).to.include(JSON.stringify(raw));
    }
  });

  it('refuses an unparsable URL with a problem of kind url that carries the parse error', () => {
    for (const raw of ['http://[::1', 'ws://:99999/', 'wss://example.com:port/']) {
      const result = resolveSocketUrl(raw, BASE);
      expect(isProblem(result), raw).to.equal(true);
      expect((result as TargetProblem).kind, raw).to.equal('url');
    }
    const garbage = resolveSocketUrl('::::', 'about:blank') as TargetProblem;
    expect(garbage.kind).to.equal('url');
    expect(garbage.error).to.be.instanceOf(TypeError);
  });
});

describe('target: isToken (RFC 6455 4.1, RFC 2616 token)', () => {
  const SEPARATORS = '()<>@,;:\\"/[]?={} \t';
  const SPECIALS = "!#$%&'*+-.^_`|~";

  it('accepts letters, digits and !#$%&\'*+-.^_`|~', () => {
    expect(isToken('abcXYZ019')).to.equal(true);
    for (const c of SPECIALS) expect(isToken(`a${c}b`), c).to.equal(true);
    expect(isToken(SPECIALS)).to.equal(true);
    expect(isToken('eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo')).to.equal(true);
  });

  it('rejects the empty string, every separator, control characters and non-ASCII', () => {
    expect(isToken('')).to.equal(false);
    for (const c of SEPARATORS) expect(isToken(`a${c}b`), JSON.stringify(c)).to.equal(false);
    for (const code of [0, 1, 10, 13, 31, 127]) expect(isToken(`a${String.fromCharCode(code)}b`), String(code)).to.equal(false);
    expect(isToken('café')).to.equal(false);
    expect(isToken('a\u00a0b')).to.equal(false);
  });

  it('rejects standard base64 padding and slashes (a session must be base64url)', () => {
    expect(isToken('ab/cd==')).to.equal(false);
    expect(isToken('ab_cd-')).to.equal(true);
  });

  it('agrees with the RFC definition for any string', () => {
    const tokenChar = (c: string) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127 && !SEPARATORS.includes(c);
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (s) => {
        expect(isToken(s)).to.equal(s.length > 0 && [...s].every(tokenChar));
      }),
      { numRuns: 500 },
    );
  });
});

describe('target: splitList', () => {
  it('splits on commas and any whitespace, dropping empty entries', () => {
    expect(splitList('a, b  c,,d\te\nf')).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(splitList(' ,a, ')).to.deep.equal(['a']);
  });

  it('gives an empty list for an empty or blank string', () => {
    expect(splitList('')).to.deep.equal([]);
    expect(splitList(' , \t')).to.deep.equal([]);
  });
});

describe('target: sessionAllowed', () => {
  const allowed = (url: string, page: string, origins = '') => sessionAllowed(new URL(url), page, origins);

  it('allows the page\'s own origin: ws with http, wss with https, same host and port', () => {
    expect(allowed('ws://example.com:8080/ws', 'http://example.com:8080')).to.equal(true);
    expect(allowed('wss://example.com/ws', 'https://example.com')).to.equal(true);
  });

  it('refuses a different scheme, host or port than the page\'s', () => {
    expect(allowed('ws://example.com/ws', 'https://example.com')).to.equal(false);
    expect(allowed('wss://example.com/ws', 'http://example.com')).to.equal(false);
    expect(allowed('wss://api.example.com/ws', 'https://example.com')).to.equal(false);
    expect(allowed('ws://example.com:8081/ws', 'http://example.com:8080')).to.equal(false);
    expect(allowed('ws://example.com/ws', 'http://example.com:8080')).to.equal(false);
  });

  it('treats default ports as absent: ws :80 is http, wss :443 is https', () => {
    expect(allowed('ws://example.com:80/ws', 'http://example.com')).to.equal(true);
    expect(allowed('wss://example.com:443/ws', 'https://example.com')).to.equal(true);
    expect(allowed('wss://example.com:80/ws', 'https://example.com')).to.equal(false);
  });

  it('allows origins listed in session-origins, written as ws, wss, http or https', () => {
    const page = 'https://app.example.com';
    expect(allowed('wss://api.example.com/ws', page, 'wss://api.example.com')).to.equal(true);
    expect(allowed('wss://api.example.com/ws', page, 'https://api.example.com')).to.equal(true);
    expect(allowed('ws://api.example.com:9000/ws', page, 'http://api.example.com:9000')).to.equal(true);
    expect(allowed('ws://api.example.com:9000/ws', page, 'ws://api.example.com:9000')).to.equal(true);
    expect(allowed('wss://b.example.com/ws', page, 'wss://a.example.com  wss://b.example.com')).to.equal(true);
  });

  it('refuses an origin that a listed entry matches only in part', () => {
    const page = 'https://app.example.com';
    expect(allowed('wss://api.example.com/ws', page, 'ws://api.example.com')).to.equal(false);
    expect(allowed('wss://api.example.com:8443/ws', page, 'wss://api.example.com')).to.equal(false);
    expect(allowed('wss://evil-api.example.com/ws', page, 'wss://api.example.com')).to.equal(false);
    expect(allowed('wss://api.example.com.evil.test/ws', page, 'wss://api.example.com')).to.equal(false);
  });

  it('ignores unparsable entries and entries of other schemes', () => {
    const page = 'https://app.example.com';
    expect(allowed('wss://api.example.com/ws', page, 'api.example.com')).to.equal(false);
    expect(allowed('wss://api.example.com/ws', page, 'ftp://api.example.com')).to.equal(false);
    expect(allowed('wss://api.example.com/ws', page, '::: wss://api.example.com')).to.equal(true);
  });

  it('allows nothing but listed origins when the page origin is "null"', () => {
    expect(allowed('ws://null/ws', 'null')).to.equal(false);
    expect(allowed('wss://example.com/ws', 'null')).to.equal(false);
    expect(allowed('wss://example.com/ws', 'null', 'wss://example.com')).to.equal(true);
  });
});

describe('target: buildTarget', () => {
  const url = new URL('ws://localhost:8000/ws');
  const page = 'http://localhost:8000';
  const build = (protocols: string, session: string | null | undefined, withSession: boolean, origins = '', to = url) =>
    buildTarget(to, protocols, session, withSession, page, origins);

  it('offers the protocols, deduplicated, and no session without with-session', () => {
    expect(build('chat, v2 chat', 'secret', false)).to.deep.equal({ url: 'ws://localhost:8000/ws', protocols: ['chat', 'v2'] });
    expect(build('', null, false)).to.deep.equal({ url: 'ws://localhost:8000/ws', protocols: [] });
  });

  it('puts the session first and the protocols after it', () => {
    expect(build('chat v2', 'tok-1', true)).to.deep.equal({ url: 'ws://localhost:8000/ws', protocols: ['tok-1', 'chat', 'v2'] });
  });

  it('offers a session that equals a protocol only once, as the first', () => {
    expect((build('chat tok', 'tok', true) as Target).protocols).to.deep.equal(['tok', 'chat']);
  });

  it('never puts the session in the URL', () => {
    expect((build('', 'tok-secret', true) as Target).url).to.not.include('tok-secret');
  });

  it('refuses a protocol that is not a token with kind url, naming it', () => {
    const problem = build('chat, v/2', null, false) as TargetProblem;
    expect(problem.kind).to.equal('url');
    expect(problem.message).to.include('"v/2"');
    expect((build('ok', 'tok', true, '') as Target).protocols).to.deep.equal(['tok', 'ok']);
    expect((build('b@d', 'tok', true) as TargetProblem).kind).to.equal('url');
  });

  it('refuses a missing or empty session with kind session when with-session is set', () => {
    for (const session of [null, undefined, '']) {
      expect((build('chat', session, true) as TargetProblem).kind, String(session)).to.equal('session');
    }
  });

  it('refuses a session that is not a token with kind session, without echoing it', () => {
    for (const session of ['has space', 'ab/cd==', 'a,b', 'naïve']) {
      const problem = build('', session, true) as TargetProblem;
      expect(problem.kind, session).to.equal('session');
      expect(problem.message, session).to.not.include(session);
    }
  });

  it('refuses to send the session to a foreign origin with kind session', () => {
    const foreign = new URL('wss://api.example.com/ws');
    const problem = build('', 'tok', true, '', foreign) as TargetProblem;
    expect(problem.kind).to.equal('session');
    expect(problem.message).to.include('https://api.example.com');
    expect(build('', 'tok', true, 'wss://api.example.com', foreign)).to.deep.equal({ url: 'wss://api.example.com/ws', protocols: ['tok'] });
  });

  it('connects to a foreign origin without a session when with-session is off', () => {
    expect(build('', 'tok', false, '', new URL('wss://api.example.com/ws'))).to.deep.equal({ url: 'wss://api.example.com/ws', protocols: [] });
  });
});

describe('target: readSession', () => {
  it('returns a string or null as is', () => {
    expect(readSession('tok')).to.equal('tok');
    expect(readSession(null)).to.equal(null);
  });

  it('calls a function and returns its value', () => {
    expect(readSession(() => 'from-fn')).to.equal('from-fn');
    expect(readSession(() => null)).to.equal(null);
  });

  it('calls the function anew on every read', () => {
    let n = 0;
    const source = () => `t${++n}`;
    expect([readSession(source), readSession(source)]).to.deep.equal(['t1', 't2']);
  });

  it('settles an async function to its value', async () => {
    const pending = readSession(async () => 'later');
    expect(pending).to.be.instanceOf(Promise);
    expect(await pending).to.equal('later');
  });

  it('turns a throwing function into a problem of kind session carrying the error', () => {
    const boom = new Error('boom');
    const problem = readSession(() => {
      throw boom;
    }) as TargetProblem;
    expect(problem.kind).to.equal('session');
    expect(problem.error).to.equal(boom);
    expect(problem.message).to.be.a('string').and.not.equal('');
  });

  it('turns a rejecting promise into a problem of kind session, never a rejection', async () => {
    const boom = new Error('later boom');
    const problem = (await readSession(() => Promise.reject(boom))) as TargetProblem;
    expect(problem.kind).to.equal('session');
    expect(problem.error).to.equal(boom);
  });
});
