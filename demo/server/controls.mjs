// The demo's test controls, `/control/<room>/<action>`, beside the demo's logic rather than in
// it: the page's *Drop connection* and *Refuse connections* buttons, and what the end-to-end test
// (test/demo/) reads and sends. Answered for pages of this machine only (server/http.mjs).
//
//   POST drop                  cuts every connection of the room without a close frame (the
//                              browser sees 1006, as when a network goes away)
//   POST refuse {ms, status}   answers the room's new handshakes with HTTP `status` (503) for `ms`
//   POST close {code, reason}  closes every connection of the room with `code` (1000)
//   POST send {frames}         sends each frame, a JSON text {"type", "data"}, to the room
//   GET  stats                 connections, open, refused, the last frames received, whoami answers
//   POST reset                 forgets the records and stops refusing

import { HttpError, isSendableCloseCode, optionalNumber, parseJson, rejectUpgrade, serveControl } from './http.mjs';
import { freshRecords } from './room.mjs';

const actions = (bricks) => ({
  drop: {
    method: 'POST',
    // The upgrade request's TCP socket is the WebSocket's: destroying it is a cable pulled out.
    run: (room) => ({ dropped: each(room, (member) => member.request.socket.destroy()) }),
  },

  refuse: {
    method: 'POST',
    run: (room, body) => {
      const ms = optionalNumber(body.ms, 'ms') ?? 0;
      const status = optionalNumber(body.status, 'status') ?? 503;
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new HttpError(400, 'status must be an HTTP error status (400-599)');
      setRefusing(room, ms, status);
      return { refusing: room.refusing !== null, status };
    },
  },

  close: {
    method: 'POST',
    run: (room, body) => {
      const code = optionalNumber(body.code, 'code') ?? 1000;
      if (!isSendableCloseCode(code)) throw new HttpError(400, `code ${code} cannot be sent in a close frame; use 1000-1003, 1007-1014 or 3000-4999`);
      const reason = body.reason === undefined ? '' : String(body.reason);
      if (Buffer.byteLength(reason) > 123) throw new HttpError(400, 'reason must be at most 123 bytes of UTF-8');
      return { closed: each(room, (member) => member.client.close(code, reason)) };
    },
  },

  send: {
    method: 'POST',
    run: (room, body) => {
      if (!Array.isArray(body.frames)) throw new HttpError(400, 'body must be {"frames": ["{\\"type\\":...,\\"data\\":...}", ...]}');
      const frames = body.frames.map((text, i) => {
        const frame = typeof text === 'string' ? parseJson(text) : undefined;
        if (typeof frame?.type !== 'string' || frame.type === '') throw new HttpError(400, `frames[${i}] must be the JSON text of {"type": "...", "data": ...}`);
        return frame;
      });
      for (const { type, data } of frames) bricks.to(room.name).send(type, data);
      return { clients: room.members.size };
    },
  },

  stats: {
    method: 'GET',
    run: (room) => ({ connections: room.connections, open: room.members.size, refused: room.refused, received: room.received, whoami: room.whoami }),
  },

  reset: {
    method: 'POST',
    run: (room) => {
      Object.assign(room, freshRecords());
      setRefusing(room, 0);
      return { reset: true };
    },
  },
});

function each(room, fn) {
  const members = [...room.members];
  members.forEach(fn);
  return members.length;
}

/**
 * While `room.refusing` is set (`{ status, timer }`), the room's handshakes get that HTTP status.
 * A timer ends it, rather than a time compared at each handshake, so the library's `path` test
 * and `refuseUpgrade` below, called one after the other for one request, always agree.
 */
function setRefusing(room, ms, status = 503) {
  clearTimeout(room.refusing?.timer);
  room.refusing = null;
  if (ms <= 0) return;
  const timer = setTimeout(() => (room.refusing = null), ms);
  timer.unref();
  room.refusing = { status, timer };
}

/** Whether `room` takes new connections now. */
export function isRefusing(room) {
  return room !== undefined && room.refusing !== null;
}

/** Answers a refused handshake of `room` with its HTTP status, and counts it. */
export function refuseUpgrade(room, socket) {
  room.refused += 1;
  rejectUpgrade(socket, room.refusing.status, 'Refused by /control/refuse');
}

/** Ends every refusal's timer (the server is closing). */
export function stopRefusing(rooms) {
  for (const room of rooms.values()) setRefusing(room, 0);
}

/** `/control/<room>/<action>` for the demo server's `rooms`, on `bricks`. */
export function controls(bricks, rooms, roomFor) {
  const table = actions(bricks);
  return (req, res, pathname) => serveControl(req, res, pathname, table, (name) => roomFor(rooms, name));
}
