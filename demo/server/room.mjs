// The demo's room: what a connection in room mode (`/ws/<room>`, the default) sends and gets.
//
// `?name=<display name>` names the client; without one its id, "c1", "c2", ..., stands for it.
//   - `text`, `base64audio` and `base64video` go to everyone in the room, the
//     sender included, byte for byte, so a `text` frame's data stays the string
//     the page sent and a single tab sees its own messages;
//   - immediately before a relayed `text`, everyone gets
//       {"type":"chat","data":{"from":name,"at":<server Date.now()>,"text":data}}
//     and before a relayed clip
//       {"type":"clip","data":{"from":name,"at":<server Date.now()>,"kind":"base64audio"}}
//     for pages that show who said what;
//   - any other frame goes to the other clients only, byte for byte;
//   - `presence` frames on every join and leave, and {"type":"clock","data":ms}
//     every second;
//   - `tab-hello` and `tab-bye` (data: a tab id) say which browser tabs a
//     connection serves (with `share="tabs"` one connection serves several); they are
//     not relayed, and the connection gets
//       {"type":"you","data":{"id":"c1","name":name,"tabs":<how many>}}
//     whenever its count of tabs changes.
//
// Requests with an `id` are answered with `reply` frames and not relayed: `history` (the room's
// last messages) and `rename`; each new member is asked `whoami` in turn.

import { deliver, isEnvelope } from './rooms.mjs';

// Frames of these types go to the whole room, the sender included (see above).
const SEED_TYPES = new Set(['text', 'base64audio', 'base64video']);
const MAX_NAME_LENGTH = 40;
/** How many `chat` messages a room keeps for the `history` request. */
const HISTORY_LENGTH = 50;
// A tab id is the client's word, so it is checked and a connection keeps only so many:
// a client that says hello forever costs a bounded set, and the count stays plausible.
const TAB_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TABS_PER_CONNECTION = 32;

function presenceFrame(room, event, id, departedName) {
  const members = [...room.clients].filter((ws) => ws.mode === 'room');
  const clients = members.map((ws) => ws.id);
  const people = members.map((ws) => ({ id: ws.id, name: ws.name, colour: ws.colour ?? null }));
  const name = people.find((person) => person.id === id)?.name ?? departedName;
  return JSON.stringify({ type: 'presence', data: { event, id, name, clients, count: clients.length, people } });
}

export function announcePresence(room, event, id, departedName = null) {
  const frame = presenceFrame(room, event, id, departedName);
  for (const ws of room.clients) {
    if (ws.mode === 'room') deliver(room, ws, frame);
  }
}

/** A frame from a client in room mode (not a ping): a tab's hello or goodbye, a request, or one to relay. */
export function roomMessage(room, ws, data, isBinary, envelope) {
  if (trackTab(room, ws, envelope)) return;
  if (answerRoomRequest(room, ws, envelope)) return;
  const seed = isEnvelope(envelope) && SEED_TYPES.has(envelope.type);
  const announcement = seed ? announce(room, ws, envelope) : null;
  for (const member of room.clients) {
    if (member.mode !== 'room' || (member === ws && !seed)) continue;
    if (announcement) deliver(room, member, announcement);
    deliver(room, member, data, isBinary);
  }
}

/** The `chat` or `clip` frame that goes before a relayed seed frame: who sent it, and when. */
function announce(room, ws, envelope) {
  const from = ws.name ?? ws.id;
  const at = Date.now();
  if (envelope.type !== 'text') return JSON.stringify({ type: 'clip', data: { from, at, kind: envelope.type } });
  const chat = { from, at, text: envelope.data };
  room.history.push(chat);
  if (room.history.length > HISTORY_LENGTH) room.history.shift();
  return JSON.stringify({ type: 'chat', data: chat });
}

// ── Tabs behind a connection: `tab-hello` and `tab-bye`, answered with `you` ──

/**
 * Counts the tabs a connection serves from their own hello and goodbye. Never relayed. An id
 * that is not a short token, or a hello past the cap, is ignored: the count is what the server
 * saw, bounded, never a number a client claims.
 */
function trackTab(room, ws, envelope) {
  if (!isEnvelope(envelope) || (envelope.type !== 'tab-hello' && envelope.type !== 'tab-bye')) return false;
  const id = envelope.data;
  if (typeof id !== 'string' || !TAB_ID.test(id)) return true;
  const before = ws.tabs.size;
  if (envelope.type === 'tab-bye') ws.tabs.delete(id);
  else if (ws.tabs.size < MAX_TABS_PER_CONNECTION) ws.tabs.add(id);
  if (ws.tabs.size !== before) tellYou(room, ws);
  return true;
}

/** What this connection is to the server: its id, its name, and how many tabs it serves. */
function tellYou(room, ws) {
  deliver(room, ws, JSON.stringify({ type: 'you', data: { id: ws.id, name: ws.name ?? ws.id, tabs: ws.tabs.size } }));
}

// ── Conversations in room mode: requests with an `id`, answered with `reply` frames ──

/**
 * The page's requests: `history` (the room's last messages) and `rename` (refused when the name
 * is taken). Any other request gets an error reply; a `reply` frame answers our `whoami`.
 * Neither is relayed to the room.
 */
function answerRoomRequest(room, ws, envelope) {
  if (!isEnvelope(envelope)) return false;
  if (envelope.type === 'reply') {
    takeWhoami(room, ws, envelope);
    return true;
  }
  if (typeof envelope.id !== 'string') return false;
  const answer = (body) => deliver(room, ws, JSON.stringify({ type: 'reply', id: envelope.id, ...body }));
  if (envelope.type === 'history') {
    answer({ data: room.history });
  } else if (envelope.type === 'rename') {
    const error = rename(room, ws, envelope.data);
    answer(error ? { error } : { data: { name: ws.name } });
  } else {
    answer({ error: { message: `This server answers "history" and "rename", not "${envelope.type}".`, code: 'unknown' } });
  }
  return true;
}

/** Renames `ws`; returns the error body when the name is empty or another member of the room has it. */
function rename(room, ws, wanted, tell = true) {
  const name = typeof wanted === 'string' ? displayName(wanted) : null;
  if (name === null) return { message: 'A name needs at least one visible character.', code: 'invalid' };
  const key = name.toLowerCase();
  const taken = [...room.clients].some((other) => other !== ws && other.mode === 'room' && other.name?.toLowerCase() === key);
  if (taken) return { message: `"${name}" is taken in this room; pick another.`, code: 'taken', data: { name } };
  if (ws.name !== name) {
    ws.name = name;
    if (tell) announcePresence(room, 'rename', ws.id);
  }
  return null;
}

/** The server's own request to each new member: who are you? Answered with `{name, colour}`. */
export function askWhoami(room, ws) {
  ws.whoami = `srv-${room.nextRequestId++}`;
  deliver(room, ws, JSON.stringify({ type: 'whoami', id: ws.whoami, data: null }));
}

function takeWhoami(room, ws, reply) {
  if (reply.id !== ws.whoami || !reply.data || typeof reply.data !== 'object') return;
  ws.whoami = null;
  const { name, colour } = reply.data;
  if (typeof colour === 'string' && /^#[0-9a-f]{6}$/i.test(colour)) ws.colour = colour;
  // A name someone else took meanwhile keeps the one from the URL.
  rename(room, ws, name, false);
  announcePresence(room, 'update', ws.id);
}

/** `?name=` trimmed and capped; null when absent or blank. */
export function displayName(value) {
  const name = [...(value ?? '').trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
  return name === '' ? null : name;
}

export function tickClock(state) {
  const frame = JSON.stringify({ type: 'clock', data: Date.now() });
  for (const room of state.rooms.values()) {
    for (const ws of room.clients) {
      if (ws.mode === 'room') deliver(room, ws, frame);
    }
  }
}
