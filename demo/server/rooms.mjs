// Rooms: what the server keeps for each room name, which the WebSocket endpoint, the demo's room
// and the test controls share: the clients, the records a test reads, and the misbehaviour a
// test switched on (refuse, stall, silence, pause). Frames to a client go through `deliver`.

import { WebSocket } from 'ws';

/** What a room name may be, in `/ws/<room>` and `/control/<room>/<action>`. */
export const ROOM_NAME = '[A-Za-z0-9_-]+';

function createRoom(name) {
  return {
    name,
    clients: new Set(),
    nextClientId: 1,
    nextRequestId: 1,
    history: [],
    ...freshRecords(),
    refuseUntil: 0,
    refuseStatus: 503,
    stalling: false,
    // Raw sockets whose handshake is being held unanswered by `stall`.
    stalled: new Set(),
    silent: false,
    paused: false,
  };
}

export function freshRecords() {
  return { connections: 0, refused: 0, attempts: [], received: [] };
}

export function roomFor(rooms, name) {
  let room = rooms.get(name);
  if (!room) {
    room = createRoom(name);
    rooms.set(name, room);
  }
  return room;
}

export function isRefusing(room) {
  return room.refuseUntil > Date.now();
}

/** Sends unless the room is silenced: a silent server says nothing at all. */
export function deliver(room, ws, data, binary = false) {
  if (room.silent || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(data, { binary });
  return true;
}

/** While on, handshakes get no answer at all; turning it off hangs up on those held. */
export function setStall(room, on) {
  room.stalling = on;
  if (on) return;
  for (const socket of room.stalled) socket.destroy();
  room.stalled.clear();
}

export function setSilence(room, on) {
  room.silent = on;
  for (const ws of room.clients) pauseReading(ws, isDeaf(room));
}

export function setPaused(room, on) {
  room.paused = on;
  for (const ws of room.clients) pauseReading(ws, isDeaf(room));
}

/** Silence and pause both stop reading; reading resumes when neither is on. */
export function isDeaf(room) {
  return room.silent || room.paused;
}

// Pausing the TCP socket (rather than ignoring messages) means the server
// truly stops reading: protocol pings go unanswered and the client's send
// buffer fills, exactly like a hung peer.
export function pauseReading(ws, paused) {
  const socket = ws._socket;
  if (!socket) return;
  if (paused) socket.pause();
  else socket.resume();
}

/** A frame a client sent as a JSON object with a string `type`. */
export function isEnvelope(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.type === 'string';
}
