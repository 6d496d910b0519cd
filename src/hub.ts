/**
 * The hub: elements of one document that share a connection. An element talks to a `Link`,
 * which is either its own `Connection` (no `share`) or a `Membership` in a `SharedConnection`.
 * The shared connection owns the one socket, heartbeat and reconnect schedule (a `Connection`
 * on this page, or a `TabLink` that carries it across tabs); each member keeps its own queue,
 * its own requests and its own events, and sees every callback of the shared connection in
 * the same order as the others.
 *
 * Sharing is decided by the connection key: the resolved URL and the subprotocol list, which
 * carries the session when one is sent. It is known only once the target is read (the session
 * may come from a promise), so a member joins after that, never before.
 */
import { Connection, type ConnectionHost, type ConnectionPolicy, type ConnectionState } from './connection.js';
import type { Payload } from './payload.js';
import { TabLink, tabsSupported } from './tab-share.js';
import type { Target, TargetProblem } from './target.js';

/** What the element drives: its own connection, or its membership in a shared one. */
export interface Link {
  readonly state: ConnectionState;
  /** The live socket in this document, or null (always null in a tab that does not hold a shared socket). */
  readonly socket: WebSocket | null;
  readonly readyState: number;
  readonly protocol: string;
  open(): void;
  restart(): void;
  close(code: number, reason: string): void;
  /** `once`: a request or reply, which must never be sent again after a change of holding tab. */
  send(payload: Payload, once?: boolean): boolean;
  /** The settings the policy reads changed (binary type, heartbeat): only the member they come from changes the connection. */
  settingsChanged(): void;
  /** Whether the owner asked for a connection and has not asked to close it since. */
  readonly wanted: boolean;
  /**
   * Takes the right to answer the server's request `id` on the live connection: false when
   * another member of a shared connection already answered it, so the server gets one reply.
   */
  claimReply(id: string): boolean;
  /** Closes and reports the close now (the element's document is going away). */
  closeNow(code: number, reason: string): void;
  /** Into the back/forward cache: let go of the socket, remembering to come back. */
  suspend(code: number, reason: string): void;
  /** Back from the back/forward cache. */
  restore(): void;
  /** The page was frozen and resumes: check what timers could not. */
  wake(): void;
}

/** The values of the `share` attribute that share; empty is the element's own socket. */
export type ShareMode = 'page' | 'tabs';

/** The link for a `share` value: own connection, membership, or a connection that reports the bad value. */
export function createLink(share: string, host: ConnectionHost): Link {
  if (share === '') return new Connection(host);
  if (share === 'page' || share === 'tabs') return new Membership(share, host);
  const problem: TargetProblem = { kind: 'url', message: `share=${JSON.stringify(share)} is not a sharing mode: use "page", "tabs" or no share attribute.` };
  return new Connection({ ...host, target: () => problem });
}

/** The connection key: what must be equal for two elements to use one socket. */
export function connectionKey(target: Target): string {
  return JSON.stringify([target.url, target.protocols]);
}

/** Shared connections of this document, by mode and key. */
const registry = new Map<string, SharedConnection>();

/** A `page` member also joins a `tabs` connection with its key: both are one socket for this page. */
function find(mode: ShareMode, key: string): SharedConnection | undefined {
  return (mode === 'page' ? registry.get(`tabs ${key}`) : undefined) ?? registry.get(`${mode} ${key}`);
}

/** One socket (here or in another tab) and the members of this document that use it. */
class SharedConnection {
  readonly link: Link;
  /** Replaced, never changed in place, so a delivery walks the list as it was without copying it per frame. */
  members: readonly Membership[] = [];
  #id: string;
  #target: Target;
  /** The opener's settings, kept for the close that follows the last member's leaving. */
  #policy: ConnectionPolicy | undefined;
  /** What `open` said last, for members that join an open connection. */
  opened = { url: '', protocol: '' };
  /** Server requests a member of this page answered on the live socket (ids are per connection). */
  #answered = new Set<string>();

  constructor(mode: ShareMode, key: string, target: Target) {
    this.#id = `${mode} ${key}`;
    this.#target = target;
    const host = this.#fanOut();
    this.link = mode === 'tabs' && tabsSupported() ? new TabLink(key, host) : new Connection(host);
    registry.set(this.#id, this);
  }

  add(member: Membership): void {
    this.members = [...this.members, member];
  }

  /** Takes a member out; after the last one, the socket closes at the end of the task (a move rejoins first). */
  remove(member: Membership): void {
    const opener = this.members[0] === member;
    this.members = this.members.filter((m) => m !== member);
    if (this.members.length > 0) {
      // The opener left: the oldest member's binary type and heartbeat now apply.
      if (opener) this.link.settingsChanged();
      return;
    }
    queueMicrotask(() => {
      if (this.members.length > 0 || registry.get(this.#id) !== this) return;
      registry.delete(this.#id);
      this.link.close(1000, '');
    });
  }

  /** The first member to answer a server request answers it for all: the others see it too. */
  claimReply(id: string): boolean {
    if (this.#answered.has(id)) return false;
    this.#answered.add(id);
    return this.link.claimReply(id);
  }

  /** Settings come from the oldest member: the one that opened the connection while it stays. */
  policy(): ConnectionPolicy {
    const first = this.members[0];
    if (first) this.#policy = first.policy();
    return this.#policy!;
  }

  #each(deliver: (member: Membership) => void): void {
    // A listener may make a member leave (or another join) while this runs: one that left is skipped.
    const list = this.members;
    for (const member of list) {
      if (list === this.members || this.members.includes(member)) deliver(member);
    }
  }

  #fanOut(): ConnectionHost {
    return {
      target: () => this.#target,
      policy: () => this.policy(),
      stateChanged: (state) => this.#each((m) => m.sharedState(state)),
      opened: (socket) => {
        this.opened = { url: socket.url, protocol: socket.protocol };
        this.#answered.clear();
        this.#each((m) => m.host.opened(this.opened));
      },
      received: (data) => this.#each((m) => m.host.received(data)),
      closed: (code, reason, wasClean) => this.#each((m) => m.host.closed(code, reason, wasClean)),
      failed: (kind, message, error) => this.#each((m) => m.host.failed(kind, message, error)),
      reconnecting: (attempt, delay, code) => this.#each((m) => m.host.reconnecting(attempt, delay, code)),
    };
  }
}

/**
 * One element's place in a shared connection. Until the target is read it is `connecting` on
 * its own; after joining, its state is the shared connection's; after leaving, `closed`.
 */
export class Membership implements Link {
  readonly host: ConnectionHost;
  #mode: ShareMode;
  #state: ConnectionState = 'idle';
  #shared: SharedConnection | null = null;
  /** Bumped when a pending join is abandoned (close, restart), so a late target is ignored. */
  #generation = 0;
  #wanted = false;

  constructor(mode: ShareMode, host: ConnectionHost) {
    this.#mode = mode;
    this.host = host;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get socket(): WebSocket | null {
    return this.#shared?.link.socket ?? null;
  }

  get readyState(): number {
    return this.#shared?.link.readyState ?? 3;
  }

  get protocol(): string {
    return this.#state === 'open' ? (this.#shared?.link.protocol ?? '') : '';
  }

  policy(): ConnectionPolicy {
    return this.host.policy();
  }

  open(): void {
    this.#wanted = true;
    if (this.#shared) {
      if (this.#shared.link.state !== 'closed') {
        this.#shared.link.open();
        return;
      }
      // The shared connection gave up (a stop code, retries spent): read the settings and the
      // session again, as an own connection would, and join whatever they now name.
      this.#leave();
      this.#state = 'idle';
    }
    if (this.#state === 'connecting') return; // the target is being read
    this.#enter('connecting');
    const generation = ++this.#generation;
    let target: ReturnType<ConnectionHost['target']>;
    try {
      target = this.host.target();
    } catch (error) {
      target = { kind: 'url', message: 'Reading the connection settings failed.', error };
    }
    // Joining always waits a microtask, as a socket's `open` would, so listeners added
    // right after insertion see it.
    Promise.resolve(target).then(
      (settled) => generation === this.#generation && this.#join(settled),
      (error) => generation === this.#generation && this.#join({ kind: 'session', message: 'Reading the session failed.', error }),
    );
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  closeNow(code: number, reason: string): void {
    this.close(code, reason); // a member's close is reported at once anyway
  }

  /**
   * The page lifecycle of the socket is its owner's: on a page, the shared connection (each
   * member passes it on; it acts once); across tabs, the holding tab hands over by itself.
   */
  suspend(code: number, reason: string): void {
    this.#shared?.link.suspend(code, reason);
  }

  restore(): void {
    this.#shared?.link.restore();
  }

  wake(): void {
    this.#shared?.link.wake();
  }

  /** A new URL or session: leave quietly and join whatever the settings now name. */
  restart(): void {
    this.#wanted = true;
    this.#leave();
    this.#state = 'idle';
    this.open();
  }

  /** Leaves: this member alone closes (its own `close` event); the others see nothing. */
  close(code: number, reason: string): void {
    this.#wanted = false;
    const live = this.#state === 'open' || this.#state === 'connecting' || this.#state === 'closing';
    const joined = this.#shared !== null;
    this.#leave();
    this.#enter('closed');
    if (joined && live) this.host.closed(code, reason, true);
  }

  send(payload: Payload, once = false): boolean {
    return this.#state === 'open' && this.#shared !== null && this.#shared.link.send(payload, once);
  }

  claimReply(id: string): boolean {
    return this.#shared?.claimReply(id) ?? false;
  }

  /** Only the member whose settings are in force can re-time the heartbeat. */
  settingsChanged(): void {
    if (this.#shared?.members[0] === this) this.#shared.link.settingsChanged();
  }

  /** The shared connection changed state. */
  sharedState(state: ConnectionState): void {
    this.#enter(state);
  }

  #join(target: Target | TargetProblem): void {
    if ('kind' in target) {
      this.host.failed(target.kind, target.message, target.error);
      this.#enter('closed');
      return;
    }
    const key = connectionKey(target);
    const shared = find(this.#mode, key) ?? new SharedConnection(this.#mode, key, target);
    shared.add(this);
    this.#shared = shared;
    const state = shared.link.state;
    if (state === 'idle' || state === 'closed') {
      shared.link.open();
    } else {
      this.#enter(state);
      if (state === 'open') this.host.opened(shared.opened);
    }
  }

  #leave(): void {
    this.#generation++;
    const shared = this.#shared;
    this.#shared = null;
    shared?.remove(this);
  }

  #enter(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.host.stateChanged(state);
  }
}
