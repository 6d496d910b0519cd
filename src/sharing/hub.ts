/**
 * The hub: elements of one document that share a connection. An element talks to a `Link`
 * (src/connection/link.ts), which is either its own `Connection` (no `share`) or a `Membership`
 * in a `SharedConnection`.
 * The shared connection owns the one socket, heartbeat and reconnect schedule (a `Connection`
 * on this page, or a `TabLink` that carries it across tabs); each member keeps its own queue,
 * its own requests and its own events, and sees every callback of the shared connection in
 * the same order as the others.
 *
 * Sharing is decided by the connection key: the resolved URL and the subprotocol list, which
 * carries the session when one is sent. It is known only once the target is read (the session
 * may come from a promise), so a member joins after that, never before.
 *
 * The shared connection and the tab link are loaded on demand (shared-connection.ts), with
 * the target: most pages never share, and they are 2.8 KB min+gzip of the element.
 */
import { Connection, type ConnectionHost, type ConnectionPolicy, type ConnectionState } from '../connection/connection.js';
import type { Link } from '../connection/link.js';
import { unloaded, type Resumer, type Target, type TargetProblem } from '../connection/target.js';
import type { Payload } from '../frames/payload.js';
import type { Member, ShareMode, SharedConnection, join } from './shared-connection.js';

/** The link for a `share` value: own connection, membership, or a connection that reports the bad value. */
export function createLink(share: string, host: ConnectionHost): Link {
  if (share === '') return new Connection(host);
  if (share === 'page' || share === 'tabs') return new Membership(share, host);
  const problem: TargetProblem = { kind: 'url', message: `share=${JSON.stringify(share)} is not a sharing mode: use "page", "tabs" or no share attribute.` };
  return new Connection({ ...host, target: () => problem });
}

type Join = typeof join;
/** Why a member cannot join: its target's problem, or the module that did not load. */
type JoinProblem = TargetProblem;

let loading: Promise<Join | JoinProblem> | null = null;

/** The shared-connection module, loaded once per document; a failed load is tried again by the next join. */
function sharing(mode: ShareMode): Promise<Join | JoinProblem> {
  return (loading ??= import('./shared-connection.js').then(
    (module) => module.join,
    (error: unknown): JoinProblem => {
      loading = null;
      return unloaded(`share="${mode}"`, error);
    },
  ));
}

/**
 * One element's place in a shared connection. Until the target is read it is `connecting` on
 * its own; after joining, its state is the shared connection's; after leaving, `closed`.
 */
export class Membership implements Link, Member {
  readonly host: ConnectionHost;
  #mode: ShareMode;
  #state: ConnectionState = 'idle';
  #shared: SharedConnection | null = null;
  /** Bumped when a pending join is abandoned (close, restart), so a late target is ignored. */
  #generation = 0;
  #wanted = false;
  /** The page went into the back/forward cache before this member joined: it joins when the page is back. */
  #suspended = false;

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

  get stream(): Resumer | null | undefined {
    return this.#shared?.link.stream;
  }

  policy(): ConnectionPolicy {
    return this.host.policy();
  }

  open(): void {
    this.#wanted = true;
    this.#suspended = false;
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
    // Joining always waits at least a microtask, as a socket's `open` would, so listeners added
    // right after insertion see it; the first join in a document also waits for the module.
    const read = Promise.resolve(target).then(
      (settled) => settled,
      (error): TargetProblem => ({ kind: 'session', message: 'Reading the session failed.', error }),
    );
    void Promise.all([read, sharing(this.#mode)]).then(([settled, join]) => generation === this.#generation && this.#join(settled, join));
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
    if (this.#shared) this.#shared.link.suspend(code, reason);
    // Not joined yet (the target or the sharing part still loading): no socket to let go of, so
    // no `close`, as for an own attempt without one; but the join must not open one in a cached page.
    else if (this.#state === 'connecting') {
      this.close(code, reason);
      this.#wanted = this.#suspended = true;
    }
  }

  restore(): void {
    if (this.#shared) this.#shared.link.restore();
    else if (this.#suspended) this.open();
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
    this.#wanted = this.#suspended = false;
    const live = this.#state === 'open' || this.#state === 'connecting' || this.#state === 'closing';
    const joined = this.#shared !== null;
    this.#leave();
    this.#enter('closed');
    if (joined && live) this.host.closed(code, reason, true);
  }

  send(payload: Payload, once = false, raw = false): boolean {
    return this.#state === 'open' && this.#shared !== null && this.#shared.link.send(payload, once, raw);
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

  #join(target: Target | TargetProblem, join: Join | JoinProblem): void {
    const problem = 'kind' in target ? target : typeof join === 'function' ? null : join;
    if (problem) {
      this.host.failed(problem.kind, problem.message, problem.error);
      this.#enter('closed');
      return;
    }
    const shared = (join as Join)(this.#mode, target as Target);
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
