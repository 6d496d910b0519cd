/**
 * Where a connection goes and what it offers: the endpoint URL, the subprotocols,
 * and the rules that keep a session token on origins the page trusts.
 * Pure functions of their arguments; the element reads its attributes anew for every attempt.
 */

/** A connection that may be made. */
export interface Target {
  url: string;
  protocols: string[];
  /** With `resume`: makes the connection's stream (resume-stream.ts, loaded on demand by resume-loader.ts). */
  resume?: () => Resumer;
}

/**
 * The page's half of `resume` as the connection drives it (resume-stream.ts): what goes first on
 * a new socket, each frame numbered, each server frame read.
 */
export interface Resumer {
  /** Frames sent and not yet acknowledged. */
  readonly kept: number;
  opened(): string[];
  /** Numbers and keeps an envelope; anything else (binary, other text) goes as it is. */
  number<T>(payload: T): T;
  /** Reads a frame, telling `host` how a reconnect went and when frames were acknowledged; true when it goes no further. */
  received(data: unknown, host: ResumeHost): boolean;
}

/** What a resume stream tells its connection's owner. */
export interface ResumeHost {
  /**
   * How a reconnect went, once the server has said. `spared(id)`: whether request `id`, sent
   * before, may still be answered (always, when recovered; otherwise only when it is sent again).
   */
  resumed(detail: { recovered: boolean; missed: number; resent: number }, spared: (id: string) => boolean): void;
  /** The server acknowledged frames: fewer are kept, so more may be sent. */
  acknowledged(): void;
}

/** Why no connection may be made. */
export interface TargetProblem {
  kind: 'url' | 'session' | 'connection';
  message: string;
  error?: unknown;
}

/** A part of the element loaded on demand that did not load: nothing connects, and the next attempt asks for it again. */
export function unloaded(what: string, error: unknown): TargetProblem {
  return { kind: 'connection', message: `${what} could not load its part of the element (${(error as Error)?.message ?? error}), so nothing connected: serve every file of the build beside bricks-websocket.js.`, error };
}

/** A session value, or a function that yields one (possibly later). */
export type SessionSource = string | (() => string | null | Promise<string | null>) | null;

const SCHEMES: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };

// RFC 6455 4.1: a subprotocol is an RFC 2616 token: visible ASCII except separators.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN_RULE = "RFC 6455: letters, digits, !#$%&'*+-.^_`|~";

/** True when `value` may be sent as a WebSocket subprotocol. */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Splits a comma- or space-separated list, dropping empty entries. */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** Resolves `ws-url` against the document: ws/wss as given, http/https mapped, relative resolved. */
export function resolveSocketUrl(raw: string, base: string): URL | TargetProblem {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (error) {
    return { kind: 'url', message: `ws-url ${JSON.stringify(raw)} is not a valid URL; use ws://, wss://, http://, https:// or a path.`, error };
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    return { kind: 'url', message: `ws-url ${JSON.stringify(raw)} uses ${url.protocol}; use ws://, wss://, http:// or https://.` };
  }
  url.hash = ''; // the WebSocket constructor rejects fragments, even an empty one
  url.protocol = scheme;
  return url;
}

/** The origin a socket URL shares with web pages: ws maps to http, wss to https. */
function pageFormOrigin(url: URL): string {
  const scheme = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:';
  return new URL(`${scheme}//${url.host}`).origin;
}

/**
 * True when the session may go to `url`: the page's own origin, or one listed in
 * `sessionOrigins` (written as ws://, wss://, http:// or https:// origins).
 */
export function sessionAllowed(url: URL, pageOrigin: string, sessionOrigins: string): boolean {
  const target = pageFormOrigin(url);
  if (pageOrigin !== 'null' && target === pageOrigin) return true;
  return splitList(sessionOrigins).some((entry) => {
    try {
      const allowed = new URL(entry);
      return SCHEMES[allowed.protocol] !== undefined && pageFormOrigin(allowed) === target;
    } catch {
      return false;
    }
  });
}

/** Settles a session source: a string, null, or a problem when the source throws or rejects. */
export function readSession(source: SessionSource): string | null | TargetProblem | Promise<string | null | TargetProblem> {
  const failed = (error: unknown): TargetProblem => ({
    kind: 'session',
    message: 'Reading the session failed; make the session function return a string, null or a promise of one.',
    error,
  });
  if (typeof source !== 'function') return source;
  try {
    const value = source();
    return typeof (value as { then?: unknown } | null)?.then === 'function'
      ? Promise.resolve(value).then((v) => v, failed)
      : (value as string | null);
  } catch (error) {
    return failed(error);
  }
}

/** The subprotocol list for a connection, with the session first when it may be sent. */
export function buildTarget(url: URL, protocols: string, session: string | null | undefined, withSession: boolean, pageOrigin: string, sessionOrigins: string): Target | TargetProblem {
  const extra = splitList(protocols);
  const bad = extra.find((p) => !isToken(p));
  if (bad !== undefined) {
    return { kind: 'url', message: `protocols: ${JSON.stringify(bad)} is not a subprotocol token (${TOKEN_RULE}).` };
  }
  if (!withSession) return { url: url.href, protocols: [...new Set(extra)] };
  if (typeof session !== 'string' || session === '') {
    return { kind: 'session', message: 'with-session is set but there is no session: set the session property.' };
  }
  if (!isToken(session)) {
    return { kind: 'session', message: `The session is not a subprotocol token (${TOKEN_RULE}): use base64url, not base64.` };
  }
  if (!sessionAllowed(url, pageOrigin, sessionOrigins)) {
    return { kind: 'session', message: `Session withheld from ${pageFormOrigin(url)}, not this page's origin: list it in session-origins if trusted.` };
  }
  return { url: url.href, protocols: [...new Set([session, ...extra])] };
}

/** The element's settings a target is read from. */
export interface TargetSettings {
  readonly wsUrl: string;
  readonly protocols: string;
  readonly withSession: boolean;
  readonly session: SessionSource;
  readonly sessionOrigins: string;
}

/** The session of a bricks application page, when there is one. */
const bricksSession = (): string | null =>
  (globalThis as { bricks?: { app?: { get_session?: () => string | null } } }).bricks?.app?.get_session?.() ?? null;

/**
 * Where the settings say to connect, read anew for each attempt: a promise while a session
 * function's promise is pending. Without a `session`, a bricks application page's is asked for.
 */
export function targetOf(settings: TargetSettings, base: string, pageOrigin: string): Target | TargetProblem | Promise<Target | TargetProblem> {
  if (!settings.wsUrl) return { kind: 'url', message: 'ws-url is empty: set it before connecting.' };
  const url = resolveSocketUrl(settings.wsUrl, base);
  if (!(url instanceof URL)) return url;
  const build = (session: string | null | TargetProblem) =>
    session !== null && typeof session === 'object'
      ? session
      : buildTarget(url, String(settings.protocols ?? ''), session, settings.withSession, pageOrigin, String(settings.sessionOrigins ?? ''));
  if (!settings.withSession) return build(null);
  const session = readSession(settings.session ?? bricksSession);
  return session instanceof Promise ? session.then(build) : build(session);
}
