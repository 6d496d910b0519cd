// `?mode=resume-fake`: a small server that speaks resume (the draft in PROTOCOL.md, "Resume")
// just enough for the element's tests, before and apart from `bricks-websocket/server`. Per room:
// one stream per token (the page's numbered frames, handed on once and in order, and the page's
// own numbered frames from the server: replies), and one room stream (`r` is the room's name)
// that `/control/<room>/resume {"publish": [...]}` sends to, kept whole to give back.
//
// Page frames handed on are recorded in `room.resume.handled`; acknowledgements go in batches
// (32 frames, or 20 ms after the first that waits), unless a test holds them. Requests: `echo`
// is answered with its data, `lost` is answered into the history only (as if the socket had died
// with the reply on it: the page gets it back with the missed frames), anything else not at all.
// `lose` drops the next page frames as if they had died on the way.

import { WebSocket } from 'ws';

const RESUMED = 'resumed';
const ACK_BATCH = 32;
const ACK_DELAY_MS = 20;

export function resumeState(room) {
  room.resume ??= { streams: new Map(), nextToken: 1, roomN: 0, roomHistory: [], handled: [], hellos: [], answers: [], holdAcks: false, lose: 0 };
  return room.resume;
}

const send = (ws, value) => ws.readyState === WebSocket.OPEN && ws.send(typeof value === 'string' ? value : JSON.stringify(value));

/** A text frame from a page on a resume-fake connection. */
export function resumeMessage(room, ws, text, envelope) {
  const state = resumeState(room);
  if (!ws.stream) {
    if (envelope?.type !== RESUMED || typeof envelope.data !== 'object' || envelope.data === null) {
      ws.close(1002, 'the first frame must be the resume hello');
      return;
    }
    hello(room, state, ws, envelope.data);
    return;
  }
  if (text === null || typeof envelope?.n !== 'number') return; // outside resume: binary, or sendRaw text
  const stream = ws.stream;
  if (envelope.n <= stream.handled) return; // a repeat
  if (state.lose > 0) {
    state.lose -= 1; // as if it had died on the way
    return;
  }
  if (envelope.n !== stream.handled + 1) {
    ws.close(1002, `frame ${envelope.n} after ${stream.handled}`);
    return;
  }
  stream.handled = envelope.n;
  state.handled.push(text);
  if (typeof envelope.id === 'string') answer(state, stream, envelope);
  stream.waiting += 1;
  if (state.holdAcks) return;
  if (stream.waiting >= ACK_BATCH) acknowledge(stream);
  else stream.ackTimer ??= setTimeout(() => acknowledge(stream), ACK_DELAY_MS);
}

function answer(state, stream, { id, type, data }) {
  if (type === 'echo') ownFrame(stream, { type: 'reply', id, data: data ?? null }, true);
  else if (type === 'lost') ownFrame(stream, { type: 'reply', id, data: data ?? null }, false);
}

/** A frame on the page's own stream: numbered, kept, and sent when `live`. */
function ownFrame(stream, frame, live) {
  const text = JSON.stringify({ ...frame, n: ++stream.ownN });
  stream.own.push({ n: stream.ownN, text });
  if (live && stream.ws) send(stream.ws, text);
}

function acknowledge(stream) {
  clearTimeout(stream.ackTimer);
  stream.ackTimer = undefined;
  stream.waiting = 0;
  if (stream.ws) send(stream.ws, { type: RESUMED, data: { acked: stream.handled } });
}

function hello(room, state, ws, { token, seen, next }) {
  state.hellos.push({ token, seen, next });
  let stream = typeof token === 'string' ? state.streams.get(token) : undefined;
  const recovered = token === null || stream !== undefined;
  if (!stream) {
    stream = { token: `fake-${state.nextToken++}-${Math.random().toString(36).slice(2)}`, handled: (Number.isInteger(next) ? next : 1) - 1, waiting: 0, own: [], ownN: 0, joined: state.roomN, ws: null };
    state.streams.set(stream.token, stream);
  }
  if (stream.ws && stream.ws !== ws) stream.ws.terminate();
  stream.ws = ws;
  ws.stream = stream;
  ws.on('close', () => {
    if (stream.ws === ws) stream.ws = null;
  });
  const positions = recovered && seen && typeof seen === 'object' ? seen : {};
  const own = recovered ? stream.own.filter(({ n }) => n > (positions[''] ?? 0)) : [];
  const fromRoom = recovered ? (positions[room.name] ?? stream.joined) : state.roomN;
  const missed = [...own.map(({ text }) => text), ...state.roomHistory.filter(({ n }) => n > fromRoom).map(({ text }) => text)];
  const data = { token: stream.token, recovered, missed: missed.length, acked: stream.handled };
  state.answers.push(data);
  send(ws, { type: RESUMED, data });
  for (const text of missed) send(ws, text);
  stream.waiting = 0;
}

/** `/control/<room>/resume`: hold or release acknowledgements, forget every stream, lose frames, publish to the room stream. */
export function resumeControl(room, body) {
  const state = resumeState(room);
  if (Number.isInteger(body.lose) && body.lose >= 0) state.lose = body.lose;
  if (body.acks === 'hold') state.holdAcks = true;
  if (body.acks === 'auto') {
    state.holdAcks = false;
    for (const stream of state.streams.values()) if (stream.handled > 0) acknowledge(stream);
  }
  // A restart without shared state: every token is unknown from now on.
  if (body.forget === true) state.streams.clear();
  for (const data of Array.isArray(body.publish) ? body.publish : []) {
    const text = JSON.stringify({ type: 'chat', data, n: ++state.roomN, r: room.name });
    state.roomHistory.push({ n: state.roomN, text });
    for (const ws of room.clients) if (ws.stream) send(ws, text);
  }
  return { streams: state.streams.size, roomN: state.roomN, holdAcks: state.holdAcks };
}

/** What the fake saw: page frames handed on (once each), the hellos and its answers. */
export function resumeRecords(room) {
  const { handled, hellos, answers } = resumeState(room);
  return { handled, hellos, answers };
}
