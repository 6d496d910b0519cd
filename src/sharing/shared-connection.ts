/**
 * Shared connections of one document: one socket (here, or in another tab through a `TabLink`)
 * and the members that use it. Loaded on demand by a `Membership` (hub.ts) when it joins.
 */
import { Connection, type ConnectionHost, type ConnectionPolicy, type ConnectionState } from '../connection/connection.js';
import type { Link } from '../connection/link.js';
import type { ResumeStream } from '../connection/resume-stream.js';
import type { Target } from '../connection/target.js';
import { TabLink, rememberAnswered, tabsSupported } from './tab-share.js';

/** The values of the `share` attribute that share; empty is the element's own socket. */
export type ShareMode = 'page' | 'tabs';

/** A member as the shared connection sees it: a `Membership` (hub.ts), one element's place in it. */
export interface Member {
  /** The member's element: its settings, and where the shared connection's callbacks go. */
  readonly host: ConnectionHost;
  policy(): ConnectionPolicy;
  /** The shared connection changed state. */
  sharedState(state: ConnectionState): void;
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
export class SharedConnection {
  readonly link: Link;
  /** Replaced, never changed in place, so a delivery walks the list as it was without copying it per frame. */
  members: readonly Member[] = [];
  #id: string;
  #target: Target;
  /** The opener's settings, kept for the close that follows the last member's leaving. */
  #policy: ConnectionPolicy | undefined;
  /** What `open` said last, for members that join an open connection. */
  opened = { url: '', protocol: '' };
  /** Server requests a member of this page answered on the live socket (ids are per connection; under resume, per stream). */
  #answered = new Set<string>();

  constructor(mode: ShareMode, key: string, target: Target) {
    this.#id = `${mode} ${key}`;
    this.#target = target;
    const host = this.#fanOut();
    // Under resume, every tab keeps the stream, so whichever holds the socket next carries it on.
    this.link = mode === 'tabs' && tabsSupported() ? new TabLink(key, host, (target.resume?.() as ResumeStream | undefined) ?? null) : new Connection(host);
    registry.set(this.#id, this);
  }

  add(member: Member): void {
    this.members = [...this.members, member];
  }

  /** Takes a member out; after the last one, the socket closes at the end of the task (a move rejoins first). */
  remove(member: Member): void {
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
    rememberAnswered(this.#answered, id);
    return this.link.claimReply(id);
  }

  /** Settings come from the oldest member: the one that opened the connection while it stays. */
  policy(): ConnectionPolicy {
    const first = this.members[0];
    if (first) this.#policy = first.policy();
    return this.#policy!;
  }

  #each(deliver: (member: Member) => void): void {
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
        // Under resume the server's requests outlive the socket: one answered before is answered still.
        if (!this.link.stream) this.#answered.clear();
        this.#each((m) => m.host.opened(this.opened));
      },
      received: (data) => this.#each((m) => m.host.received(data)),
      closed: (code, reason, wasClean) => this.#each((m) => m.host.closed(code, reason, wasClean)),
      failed: (kind, message, error) => this.#each((m) => m.host.failed(kind, message, error)),
      reconnecting: (attempt, delay, code) => this.#each((m) => m.host.reconnecting(attempt, delay, code)),
      resumed: (detail, spared) => {
        if (!detail.recovered) this.#answered.clear(); // a new stream: the old one's requests are refused anyway
        this.#each((m) => m.host.resumed(detail, spared));
      },
      acknowledged: () => this.#each((m) => m.host.acknowledged()),
    };
  }
}

/** The shared connection a member joins: the one of this page with its key, or a new one. */
export function join(mode: ShareMode, target: Target): SharedConnection {
  const key = connectionKey(target);
  return find(mode, key) ?? new SharedConnection(mode, key, target);
}
