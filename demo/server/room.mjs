// The demo's rooms, as handlers of `bricks-websocket/server`: what a page connected to
// `/ws/<room>?name=<display name>` sends and gets (the README's "The demo" has the table).
//
//   - `text`, `base64audio` and `base64video` go to everyone in the room, the sender included,
//     each right after a `chat` or `clip` frame that says who sent it and when; any other frame
//     goes to the others in the room;
//   - requests: `history` (the room's last messages) and `rename`; the server asks each new
//     connection `whoami`;
//   - `presence` to the room on every join, leave, rename and `whoami` answer, and `clock` to
//     everyone every second;
//   - `tab-hello` and `tab-bye` say which tabs a connection serves (with `share="tabs"` one
//     connection serves several), answered with `you` to that connection only.
//
// Without `?name=`, a connection's id in the room, `c1`, `c2`, ..., stands for its name.

import { ReplyError } from '../../dist/server/index.js';

// Frames of these types go to the whole room, the sender included (see above).
const SEED_TYPES = ['text', 'base64audio', 'base64video'];
const MAX_NAME_LENGTH = 40;
/** How many `chat` messages a room keeps for the `history` request. */
const HISTORY_LENGTH = 50;
// A tab id is the client's word, so it is checked and a connection keeps only so many:
// a client that says hello forever costs a bounded set, and the count stays plausible.
const TAB_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TABS_PER_CONNECTION = 32;
/** How long the server waits for a page's `whoami` answer; a page without a listener never gives one. */
const WHOAMI_TIMEOUT_MS = 10_000;
const CLOCK_INTERVAL_MS = 1000;

/**
 * Puts the demo's rooms on `bricks`. `roomOf(url)` names the room of a connection from its
 * upgrade request's URL, the one the library's `path` test accepted; `rooms` (name → room, see `createRoom`) is shared with the test controls, which read
 * and disturb what is kept there. Returns `stop()`, which ends the clock.
 */
export function serveRooms(bricks, rooms, roomOf, { clock = true } = {}) {
  /** BricksClient → what the room knows of it: `{ id, name, colour, tabs, room, client, request }`. */
  const members = new Map();
  const memberOf = (client) => members.get(client);

  bricks.on('connection', async (client, request) => {
    // Read as the library reads it for `path`: the same URL, so the same room.
    const url = new URL(request.url, 'http://localhost');
    const room = roomFor(rooms, roomOf(url));
    const name = displayName(url.searchParams.get('name'));
    const member = { id: `c${room.nextId++}`, name, colour: null, tabs: new Set(), room, client, request };
    members.set(client, member);
    room.members.add(member);
    room.connections += 1;
    await client.join(room.name);
    if (!members.has(client)) return; // gone while joining
    announcePresence(bricks, room, 'join', member);
    askWhoami(bricks, member);
  });

  bricks.on('disconnect', (client) => {
    const member = memberOf(client);
    if (!member) return;
    members.delete(client);
    member.room.members.delete(member);
    announcePresence(bricks, member.room, 'leave', member);
  });

  // Every frame a handler gets is kept for the test controls' `stats`, as the JSON it came as.
  const on = (type, handler) =>
    bricks.handle(type, (data, context) => {
      const member = memberOf(context.client);
      if (!member) return undefined;
      keep(member.room, { type: context.type, data, ...(context.id === undefined ? {} : { id: context.id }) });
      return handler(data, member, context);
    });

  for (const type of SEED_TYPES) {
    on(type, (data, member) => {
      bricks.to(member.room.name).send(...announce(member, type, data));
      bricks.to(member.room.name).send(type, data);
    });
  }

  on('history', (_data, member) => member.room.history);

  on('rename', (wanted, member) => {
    rename(bricks, member, wanted);
    return { name: member.name };
  });

  on('tab-hello', (id, member) => trackTab(member, id, (tabs) => tabs.add(id)));
  on('tab-bye', (id, member) => trackTab(member, id, (tabs) => tabs.delete(id)));

  on('*', (data, member, { type, id }) => {
    if (id !== undefined) throw new ReplyError(`This server answers "history" and "rename", not "${type}".`, { code: 'unknown-type' });
    for (const other of member.room.members) if (other !== member) other.client.send(type, data);
  });

  const timer = clock ? setInterval(() => bricks.send('clock', Date.now()), CLOCK_INTERVAL_MS) : undefined;
  timer?.unref();
  return { stop: () => clearInterval(timer) };
}

/** What the server keeps for one room name; the test controls add their own records. */
function createRoom(name) {
  return { name, members: new Set(), nextId: 1, history: [], refusing: null, ...freshRecords() };
}

/** The records the test controls read (`stats`) and forget (`reset`). */
export function freshRecords() {
  return { connections: 0, refused: 0, received: [], whoami: [] };
}

// A room keeps the last frames it received, for `stats`: enough for a test, bounded for a demo
// left running with clips going through it.
const RECEIVED_KEPT = 100;

function keep(room, frame) {
  room.received.push(JSON.stringify(frame));
  if (room.received.length > RECEIVED_KEPT) room.received.shift();
}

export function roomFor(rooms, name) {
  let room = rooms.get(name);
  if (!room) {
    room = createRoom(name);
    rooms.set(name, room);
  }
  return room;
}

/** The `chat` or `clip` frame that goes before a relayed seed frame: who sent it, and when. */
function announce(member, type, data) {
  const from = member.name ?? member.id;
  const at = Date.now();
  if (type !== 'text') return ['clip', { from, at, kind: type }];
  const chat = { from, at, text: data };
  const { history } = member.room;
  history.push(chat);
  if (history.length > HISTORY_LENGTH) history.shift();
  return ['chat', chat];
}

function announcePresence(bricks, room, event, member) {
  const people = [...room.members].map(({ id, name, colour }) => ({ id, name, colour }));
  const clients = people.map((person) => person.id);
  bricks.to(room.name).send('presence', { event, id: member.id, name: member.name, clients, count: clients.length, people });
}

/** Renames `member`; a `ReplyError` when the name is empty or another member of the room has it. */
function rename(bricks, member, wanted, tell = true) {
  const name = typeof wanted === 'string' ? displayName(wanted) : null;
  if (name === null) throw new ReplyError('A name needs at least one visible character.', { code: 'invalid' });
  const key = name.toLowerCase();
  const taken = [...member.room.members].some((other) => other !== member && other.name?.toLowerCase() === key);
  if (taken) throw new ReplyError(`"${name}" is taken in this room; pick another.`, { code: 'taken', data: { name } });
  if (member.name === name) return;
  member.name = name;
  if (tell) announcePresence(bricks, member.room, 'rename', member);
}

/** The server's own request to each new connection: who are you? Answered with `{name, colour}`. */
async function askWhoami(bricks, member) {
  let answer;
  try {
    answer = await member.client.request('whoami', null, { timeout: WHOAMI_TIMEOUT_MS });
  } catch {
    return; // no answer (a page without a whoami listener), an error reply, or the page left
  }
  if (!member.room.members.has(member) || !answer || typeof answer !== 'object') return;
  const { name, colour } = answer;
  member.room.whoami.push({ name, colour });
  if (typeof colour === 'string' && /^#[0-9a-f]{6}$/i.test(colour)) member.colour = colour;
  try {
    rename(bricks, member, name, false);
  } catch {
    // A name someone else took meanwhile keeps the one from the URL.
  }
  announcePresence(bricks, member.room, 'update', member);
}

/**
 * Counts the tabs a connection serves from their own hello and goodbye, and tells the
 * connection with `you` when the count changes. An id that is not a short token, or a hello past
 * the cap, is ignored: the count is what the server saw, bounded, never a number a client claims.
 */
function trackTab(member, id, change) {
  if (typeof id !== 'string' || !TAB_ID.test(id)) return;
  const { tabs } = member;
  const before = tabs.size;
  if (tabs.has(id) || tabs.size < MAX_TABS_PER_CONNECTION) change(tabs);
  if (tabs.size !== before) member.client.send('you', { id: member.id, name: member.name ?? member.id, tabs: tabs.size });
}

/** `?name=` trimmed and capped; null when absent or blank. */
function displayName(value) {
  const name = [...(value ?? '').trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
  return name === '' ? null : name;
}
