/**
 * How the Redis adapter lays out its streams in Redis, and the one script that sends a frame.
 * A stream is the frames of one room, or of everyone; each has a channel, a numbering hash and a
 * capped history, all named under the adapter's prefix. The script numbers a frame, appends it
 * to the history and publishes it in one atomic step, so every instance sees a room's frames in
 * the order of their numbers. Pure: no connection, no timer.
 */

/** The stream of `room`, or of everyone for null. Never collides: a room's name follows `r:`. */
export function streamName(room: string | null): string {
  return room === null ? '*' : `r:${room}`;
}

/** The Redis names of one stream under `prefix`. */
export interface StreamKeys {
  /** The pub/sub channel its frames are published on. */
  readonly channel: string;
  /** A hash: `n`, the last number given; `start`, the first number of this stream. */
  readonly numbering: string;
  /** A list of the last frames, oldest first, each an entry (below). */
  readonly history: string;
}

export function streamKeys(prefix: string, room: string | null): StreamKeys {
  const name = streamName(room);
  return { channel: `${prefix}c:${name}`, numbering: `${prefix}n:${name}`, history: `${prefix}h:${name}` };
}

/**
 * One frame of a stream as it is published and kept: `<n> <ms> <origin> <frame>`. `n` is its
 * number in the stream, `ms` Redis' clock when it was numbered, `origin` who sent it (an
 * instance's id and its own count, so that instance can tell its frames apart), `frame` the
 * JSON text given to clients.
 */
export interface Entry {
  readonly n: number;
  readonly time: number;
  readonly origin: string;
  readonly text: string;
}

/** Reads an entry; null for anything that is not one (another program's message on the channel). */
export function parseEntry(raw: string): Entry | null {
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  const c = raw.indexOf(' ', b + 1);
  if (a < 1 || b < 0 || c < 0) return null;
  const n = Number(raw.slice(0, a));
  const time = Number(raw.slice(a + 1, b));
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(time)) return null;
  return { n, time, origin: raw.slice(b + 1, c), text: raw.slice(c + 1) };
}

/**
 * Numbers a frame, keeps it, publishes it. KEYS: numbering, history. ARGV: channel, origin,
 * frame, history size, history ttl (ms). Returns the number, as a string.
 *
 * A stream that does not exist yet (new, expired after `ttl` without frames, or lost with
 * Redis' data) starts at Redis' clock in microseconds rather than at 1: its numbers stay above
 * any an earlier stream of the same name gave, so a page holding an old position never takes a
 * new frame for a repeat, and a position from an earlier stream is always below `start`, which
 * tells whoever reads the history that the frames in between are gone. The numbering outlives
 * the history (2 ttl), so a resume stream away for up to ttl finds it. Until the year 2255 the
 * numbers stay below 2^53, exact in JavaScript and in Lua's doubles.
 */
export const PUBLISH_SCRIPT = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local t = redis.call('TIME')
if n == 1 then
  n = t[1] .. string.format('%06d', t[2])
  redis.call('HSET', KEYS[1], 'n', n, 'start', n)
else
  n = string.format('%.0f', n)
end
local entry = n .. ' ' .. t[1] .. string.format('%03d', math.floor(t[2] / 1000)) .. ' ' .. ARGV[2] .. ' ' .. ARGV[3]
local size = tonumber(ARGV[4])
if size > 0 then
  redis.call('RPUSH', KEYS[2], entry)
  redis.call('LTRIM', KEYS[2], -size, -1)
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[5]))
redis.call('PUBLISH', ARGV[1], entry)
return n
`;

/** A stream's numbering hash, read back: the last number given and the stream's first. */
export interface Numbering {
  readonly n: number;
  readonly start: number;
}

/**
 * What a reader whose last frame of a stream was number `after` missed, from the stream's
 * numbering (null when Redis has no such stream: never used, expired, or lost) and its history:
 * the entries after `after`, oldest first, and whether the history shows a gap before them
 * (trimmed or expired frames the reader never had). A position from an earlier stream of the
 * same name (below `start`) reads the new stream from its start.
 */
export function missedSince(after: number, numbering: Numbering | null, history: readonly Entry[]): { entries: Entry[]; gap: boolean } {
  if (numbering === null) return { entries: [], gap: false };
  const expected = after < numbering.start ? numbering.start : after + 1;
  const entries = history.filter((entry) => entry.n >= expected);
  const first = entries[0];
  return { entries, gap: first === undefined ? numbering.n >= expected : first.n > expected };
}

/** The Redis names of resume stream `token`: its state (a hash) and its own frames (a list of `<n> <ms> <frame>`). */
export function resumeKeys(prefix: string, token: string): { state: string; own: string } {
  return { state: `${prefix}s:${token}`, own: `${prefix}o:${token}` };
}

/**
 * The key that names, for one owner, the latest stream a hello with the page's own name for its
 * stream (the hello's `stream`) began, until that stream's token resumes it.
 */
export function nameKey(prefix: string, owner: string, stream: string): string {
  return `${prefix}x:${owner}:${stream}`;
}

/**
 * A new stream, begun for a hello without a usable token and with the page's name for its stream:
 * returns `[token, handled, at]` of the stream that name gave before when its state (under ARGV[4],
 * the state keys' prefix) is still there and its owner is ARGV[1], and makes the name give the new
 * stream ARGV[2] for ARGV[3] ms. KEYS: the name's key.
 */
export const NAME_SCRIPT = `
local token = redis.call('GET', KEYS[1])
local found = false
if token then
  local state = redis.call('HMGET', ARGV[4] .. token, 'owner', 'handled', 'at')
  if state[1] == ARGV[1] then found = {token, state[2] or '0', state[3] or ''} end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return found
`;

/** The page of stream ARGV[1] resumed it by its token: the name at KEYS[1] gives it no more. */
export const UNNAME_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** The channel an instance (named by its origin) hears displacements on. */
export function instanceChannel(prefix: string, origin: string): string {
  return `${prefix}i:${origin}`;
}

/**
 * Lua that sets `n` to the last number of the room numbering at `key`, beginning the numbering
 * (at Redis' clock, as PUBLISH_SCRIPT would) when it has none, and keeps it for 2 `ttl` (a Lua
 * expression in ms). Shared by the scripts that give a stream its position in a room.
 */
function roomPosition(key: string, ttl: string): string {
  return `
local n = redis.call('HGET', ${key}, 'n')
if not n then
  local t = redis.call('TIME')
  n = t[1] .. string.format('%06d', t[2])
  redis.call('HSET', ${key}, 'n', n, 'start', string.format('%.0f', tonumber(n) + 1))
end
if redis.call('PTTL', ${key}) < 2 * tonumber(${ttl}) then redis.call('PEXPIRE', ${key}, 2 * tonumber(${ttl})) end`;
}

/**
 * A stream's position in a room (or everyone): the room's last number now, the numbering begun
 * (at Redis' clock, as PUBLISH_SCRIPT would) if it has none, and kept 2 ttl. KEYS: numbering,
 * state. ARGV: the state's field, ttl. Writes the position into the state when it exists, and
 * returns it; -1 when the state is gone (flushed, expired).
 */
export const POSITION_SCRIPT = `${roomPosition('KEYS[1]', 'ARGV[2]')}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], n)
return n
`;

/**
 * Appends frame n to a stream's own frames when its state exists (a write after a flush must not
 * bring back half a stream) and is still held by the member writing (a stream another instance
 * took numbers its own frames from there). KEYS: state, own. ARGV: n, entry, size, ttl, at.
 */
export const OWN_SCRIPT = `
if redis.call('HGET', KEYS[1], 'at') ~= ARGV[5] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'own', ARGV[1])
return 1
`;

/**
 * Raises a field of a state to n (handled only grows), while the member `at` holds it: an
 * instance whose page moved on must not raise the position another instance now counts from
 * (its answer's `next`), or frames the page numbered from there would be taken for repeats
 * after the next move. KEYS: state. ARGV: field, n, at.
 */
export const RAISE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'at') ~= ARGV[3] then return 0 end
local v = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > v then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;

/** A page left: its state and own frames expire in ms, unless another member holds it. KEYS: state, own. ARGV: field, value, ms. */
export const LEFT_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

/** One own frame as kept: `<n> <ms> <frame>`; null for anything else. */
export function parseOwn(raw: string): { n: number; time: number; text: string } | null {
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  if (a < 1 || b < 0) return null;
  const n = Number(raw.slice(0, a));
  const time = Number(raw.slice(a + 1, b));
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(time)) return null;
  return { n, time, text: raw.slice(b + 1) };
}

/**
 * The frames of a stream after `after` from kept entries (oldest first), or null when any is
 * gone: trimmed, older than `ttl` ms at `now`, or `after` below where the numbering restarted
 * (`start`, Redis lost it). `last` is the stream's last number as read.
 */
export function framesAfter(after: number, last: number, start: number, kept: readonly { n: number; time: number; text: string }[], ttl: number, now: number): { n: number; text: string }[] | null {
  if (after < start - 1 || after > Math.max(last, kept.at(-1)?.n ?? 0)) return null;
  const wanted = kept.filter((entry) => entry.n > after);
  let expected = after + 1;
  for (const entry of wanted) {
    if (entry.n !== expected || now - entry.time > ttl) return null;
    expected++;
  }
  if (expected <= last) return null;
  return wanted.map(({ n, text }) => ({ n, text }));
}

/**
 * Takes a stream for a member in one step: returns the state as it was (HGETALL's list) and,
 * when its owner is ARGV[1], makes ARGV[2] its holder and keeps it ARGV[3] ms. KEYS: state.
 */
export const TAKE_SCRIPT = `
local state = redis.call('HGETALL', KEYS[1])
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'at', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return state
`;

/**
 * Passes something done on a stream that another instance holds to that instance: an own frame
 * (`f`), a join (`j`) or a leave (`l`) by the client of an older socket of its page. Publishes
 * `message` on the channel of the instance the state's `at` names, unless that is the caller
 * (ARGV[1]) or nobody listens there (that instance died, or is cut off from Redis); then does it
 * on the state itself, in the same step, for the page to find when it comes back: a frame is
 * appended after the last own number, a join writes the room's last number as the stream's
 * position (beginning the numbering as POSITION_SCRIPT does), a leave removes the position.
 * KEYS: state, then the own frames (`f`, `l`) or the room's numbering (`j`). ARGV: caller's
 * origin, the instance channels' prefix, message, `f`/`j`/`l`, the frame or the position's field,
 * history size, ttl. Returns -1 when the state is gone, 0 when passed on, 1 when done here.
 */
export const PASS_SCRIPT = `
local at = redis.call('HGET', KEYS[1], 'at')
if not at then return -1 end
local origin = string.match(at, '^[^ ]+')
if origin ~= ARGV[1] and redis.call('PUBLISH', ARGV[2] .. origin, ARGV[3]) > 0 then return 0 end
if ARGV[4] == 'l' then
  redis.call('HDEL', KEYS[1], ARGV[5])
elseif ARGV[4] == 'j' then
  if redis.call('HEXISTS', KEYS[1], ARGV[5]) == 0 then${roomPosition('KEYS[2]', 'ARGV[7]')}
    redis.call('HSET', KEYS[1], ARGV[5], n)
  end
else
  local n = string.format('%d', tonumber(redis.call('HGET', KEYS[1], 'own') or '0') + 1)
  local t = redis.call('TIME')
  local frame = ARGV[5]
  redis.call('RPUSH', KEYS[2], n .. ' ' .. t[1] .. string.format('%03d', math.floor(t[2] / 1000)) .. ' ' .. string.sub(frame, 1, -2) .. ',"n":' .. n .. '}')
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  redis.call('HSET', KEYS[1], 'own', n)
end
return 1
`;
