// The page's half of resume (ResumeStream) on its own: what it sends first on each socket, how it
// numbers and keeps frames, what it makes of the server's frames, and the copy another tab keeps.

import { expect } from '@open-wc/testing';
import { ResumeStream, resumable, type StreamChange } from '../../src/connection/resume-stream.js';
import type { ResumeHost } from '../../src/connection/target.js';

const answer = (data: unknown) => JSON.stringify({ type: 'resumed', data });
const hello = (stream: ResumeStream) => JSON.parse(stream.opened()[0]).data;
/** A hello's data without the page's name for the stream, which is random. */
const unnamed = ({ stream: _, ...data }: Record<string, unknown>) => data;
const NAME = /^[A-Za-z0-9_-]{22}$/;

/** A stream whose first socket was answered. */
function answered(token = 't1'): ResumeStream {
  const stream = new ResumeStream();
  stream.opened();
  stream.read(answer({ token, recovered: true, missed: 0, acked: 0 }));
  return stream;
}

describe('ResumeStream', () => {
  it('the first socket gets a hello without a token and nothing else; its answer fires no resumed', () => {
    const stream = new ResumeStream();
    const said = stream.opened().map((text) => JSON.parse(text));
    expect(said[0].data.stream).to.match(NAME);
    expect(said).to.deep.equal([{ type: 'resumed', data: { token: null, stream: said[0].data.stream, seen: {}, next: 1 } }]);
    expect(stream.read(answer({ token: 't1', recovered: true, missed: 0, acked: 0 }))).to.deep.equal({ drop: true });
  });

  it('a socket after one whose answer never arrived starts a new stream: recovered is false whatever the server says, and its kept frames go again', () => {
    const stream = new ResumeStream();
    stream.opened();
    stream.number('{"type":"a","data":1}');
    const [first, ...again] = stream.opened();
    expect(unnamed(JSON.parse(first).data)).to.deep.equal({ token: null, seen: {}, next: 1 });
    expect(again).to.deep.equal(['{"type":"a","data":1,"n":1}']);
    expect(stream.read(answer({ token: 't2', recovered: true, missed: 0, acked: 0, next: 1 }))).to.deep.equal({ drop: true, resumed: { recovered: false, missed: 0, resent: 1 } });
  });

  it('a copy another tab\'s holder opened a socket of (followed) resumes on its own first socket, with or without a token', () => {
    const copy = new ResumeStream();
    copy.followed();
    copy.opened();
    expect(copy.read(answer({ token: 't1', recovered: true, missed: 0, acked: 0 }))).to.deep.equal({ drop: true, resumed: { recovered: false, missed: 0, resent: 0 } });
    const silent = new ResumeStream();
    silent.followed();
    silent.opened();
    expect(silent.read('{"type":"chat","data":"hi"}'), 'a server without resume').to.deep.equal({ drop: false, resumed: { recovered: false, missed: 0, resent: 0 } });
  });

  it('asks for resume after the element\'s own subprotocols, and passes a problem on as it is', () => {
    const target = resumable({ url: 'ws://x.test/', protocols: ['session', 'chat'] });
    expect('kind' in target ? null : target.protocols).to.deep.equal(['session', 'chat', 'bricks.resume.1']);
    expect(resumable({ kind: 'url', message: 'm' })).to.deep.equal({ kind: 'url', message: 'm' });
  });

  it('numbers frames, keeps them until acknowledged, and sends the kept ones again after the next hello', () => {
    const stream = answered();
    expect(stream.number('{"type":"a","data":1}')).to.equal('{"type":"a","data":1,"n":1}');
    stream.number('{"type":"b","data":2}');
    stream.number('{"type":"c","data":3}');
    stream.read(answer({ acked: 1 }));
    expect(stream.kept).to.equal(2);
    const [first, ...again] = stream.opened();
    expect(unnamed(JSON.parse(first).data)).to.deep.equal({ token: 't1', seen: {}, next: 2 });
    expect(again).to.deep.equal(['{"type":"b","data":2,"n":2}', '{"type":"c","data":3,"n":3}']);
    expect(stream.read(answer({ token: 't1', recovered: true, missed: 4, acked: 2 }))).to.deep.equal({ drop: true, resumed: { recovered: true, missed: 4, resent: 2 } });
    expect(stream.kept).to.equal(1);
  });

  it('text that is not an envelope goes as it is, unnumbered and not kept', () => {
    const stream = answered();
    expect(stream.number('plain')).to.equal('plain');
    expect(stream.kept).to.equal(0);
  });

  it('drops server frames already seen on their stream; the positions go in the next hello', () => {
    const stream = answered();
    const frame = (n: number, r?: string) => JSON.stringify({ type: 'chat', data: n, n, ...(r === undefined ? {} : { r }) });
    expect(stream.read(frame(1, 'lobby')).drop).to.equal(false);
    expect(stream.read(frame(1)).drop, 'another stream').to.equal(false);
    expect(stream.read(frame(1, 'lobby')).drop).to.equal(true);
    expect(stream.read(frame(2, 'lobby')).drop).to.equal(false);
    expect(stream.read('{"type":"pong","data":1}').drop, 'unnumbered').to.equal(false);
    expect(hello(stream).seen).to.deep.equal({ lobby: 2, '': 1 });
  });

  it('recovered: false forgets the positions, so a restarted server\'s numbers are not taken for repeats', () => {
    const stream = answered();
    stream.read('{"type":"chat","data":0,"n":9,"r":"lobby"}');
    stream.opened();
    expect(stream.read(answer({ token: 't2', recovered: false, missed: 0, acked: 0 })).resumed).to.deep.equal({ recovered: false, missed: 0, resent: 0 });
    expect(stream.read('{"type":"chat","data":0,"n":1,"r":"lobby"}').drop).to.equal(false);
    expect(unnamed(hello(stream))).to.deep.equal({ token: 't2', seen: { lobby: 1 }, next: 1 });
  });

  it('a server whose first frame is not the answer does not speak resume: nothing is kept, and a reconnect says recovered: false', () => {
    const stream = new ResumeStream();
    stream.opened();
    expect(stream.read('{"type":"chat","data":"hi"}')).to.deep.equal({ drop: false });
    expect(stream.number('{"type":"a","data":1}')).to.equal('{"type":"a","data":1}');
    expect(stream.kept).to.equal(0);
    stream.opened();
    expect(stream.read('not json')).to.deep.equal({ drop: false, resumed: { recovered: false, missed: 0, resent: 0 } });
    expect(stream.read('not json'), 'said once per socket').to.deep.equal({ drop: false });
  });

  it('tells its host how a reconnect went, which requests it keeps, and when frames were acknowledged', () => {
    const stream = answered();
    stream.number('{"type":"q","data":1,"id":"abc-1"}');
    stream.number('{"type":"q","data":{"id":"abc-2"},"id":"abc-3"}');
    const calls: unknown[] = [];
    let keeps: (id: string) => boolean = () => false;
    const host: ResumeHost = {
      resumed: (detail, given) => {
        calls.push(detail);
        keeps = given;
      },
      acknowledged: () => calls.push('acknowledged'),
    };
    stream.opened();
    expect(stream.received(answer({ token: 't1', recovered: false, missed: 0, acked: 1 }), host)).to.equal(true);
    expect(calls).to.deep.equal([{ recovered: false, missed: 0, resent: 2 }, 'acknowledged']);
    expect([keeps('abc-1'), keeps('abc-2'), keeps('abc-3')]).to.deep.equal([false, false, true]);
  });

  it("an answer whose next is above its count numbers from there and forgets the kept frames below it; a lower next or none changes nothing", () => {
    const stream = answered();
    stream.number('{"type":"a","data":1}');
    stream.number('{"type":"b","data":2}');
    const changes: StreamChange[] = [];
    stream.watch = (change) => changes.push(change);
    stream.opened();
    // Another tab's holder numbered 3 to 5 and went before this copy heard of them.
    stream.read(answer({ token: 't1', recovered: true, missed: 0, acked: 0, next: 6 }));
    expect(stream.kept).to.equal(0);
    expect(changes[0]).to.deep.include({ k: 'state', next: 6, kept: [] });
    expect(stream.number('{"type":"c","data":3}')).to.equal('{"type":"c","data":3,"n":6}');

    for (const next of [3, undefined, 'nine', 1e300]) {
      stream.opened();
      stream.read(answer({ token: 't1', recovered: true, missed: 0, acked: 0, next }));
    }
    expect(stream.kept).to.equal(1);
    expect(stream.number('{"type":"d","data":4}')).to.equal('{"type":"d","data":4,"n":7}');
  });

  it('a copy that follows the changes of another tab\'s stream says the same hello, keeps the same frames and drops the same repeats', () => {
    const holder = answered();
    const changes: StreamChange[] = [];
    holder.watch = (change) => changes.push(change);
    holder.number('{"type":"a","data":1}');
    holder.number('{"type":"b","data":2}');
    holder.read(answer({ acked: 1 }));
    holder.read('{"type":"chat","data":0,"n":4,"r":"lobby"}');
    holder.read('{"type":"chat","data":0,"n":4,"r":"lobby"}');
    expect(changes.map((change) => change.k)).to.deep.equal(['kept', 'kept', 'acked', 'took']);

    const copy = new ResumeStream();
    copy.apply(answered('t1').state()); // a token, as the joining tab hears from the holder
    for (const change of changes) copy.apply(change);
    expect(copy.apply({ k: 'took', r: 'lobby', n: 4 }), 'already taken').to.equal(false);
    const opened = copy.opened();
    expect(unnamed(JSON.parse(opened[0]).data)).to.deep.equal({ token: 't1', seen: { lobby: 4 }, next: 2 });
    expect(opened.slice(1)).to.deep.equal(['{"type":"b","data":2,"n":2}']);
    expect(copy.number('{"type":"c","data":3}')).to.equal('{"type":"c","data":3,"n":3}');
    // A copy that carries a token resumes: its first answer fires resumed.
    expect(copy.read(answer({ token: 't1', recovered: true, missed: 0, acked: 1 })).resumed).to.deep.equal({ recovered: true, missed: 0, resent: 1 });

    const joined = new ResumeStream();
    joined.apply(holder.state());
    expect(hello(joined)).to.deep.equal({ ...hello(holder), seen: { lobby: 4 }, next: 2 });
    expect(joined.kept).to.equal(1);
  });

  it('every hello carries the page\'s name for its stream: the same on every socket, another for another stream, and the holder\'s in a copy', () => {
    const stream = new ResumeStream();
    const name = hello(stream).stream;
    expect(name).to.match(NAME);
    stream.number('{"type":"a","data":1}');
    expect(hello(stream).stream, 'the same after a drop before any answer').to.equal(name);
    stream.read(answer({ token: 't1', recovered: false, missed: 0, acked: 1, next: 2 }));
    expect(hello(stream).stream, 'and after the answer').to.equal(name);
    expect(hello(new ResumeStream()).stream).to.not.equal(name);

    const copy = new ResumeStream();
    expect(copy.begun, 'no socket of it has opened').to.equal(false);
    copy.apply(stream.state());
    expect(hello(copy).stream).to.equal(name);
    const tokenless = new ResumeStream();
    tokenless.apply(new ResumeStream().state());
    tokenless.followed();
    expect(tokenless.begun, 'another tab opened a socket of it: the server may be ahead of this copy, token or not').to.equal(true);
  });

  it('a first frame that is a resumed frame without a token (a server echoing the hello) says the server does not speak resume', () => {
    const stream = new ResumeStream();
    const [said] = stream.opened();
    stream.number('{"type":"a","data":1}');
    expect(stream.read(said)).to.deep.equal({ drop: true });
    expect(stream.kept, 'nothing is kept for a server that does not speak resume').to.equal(0);
    expect(stream.number('{"type":"b","data":2}')).to.equal('{"type":"b","data":2}');
  });
});
