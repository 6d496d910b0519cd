/**
 * What the element drives: its own `Connection`, or its membership in a connection it shares
 * with other elements (src/sharing/hub.ts). The element never asks which one it has.
 */
import type { Payload } from '../frames/payload.js';
import type { ConnectionState } from './connection.js';
import type { Resumer } from './target.js';

export interface Link {
  readonly state: ConnectionState;
  /** The live socket in this document, or null (always null in a tab that does not hold a shared socket). */
  readonly socket: WebSocket | null;
  readonly readyState: number;
  readonly protocol: string;
  /**
   * Under `resume`, the stream the connection carries, null (or, for a member not joined yet, undefined) without: its frames sent and not yet
   * acknowledged count toward `queue-limit`; another stream is a new one (a new `ws-url` or
   * `share`, `resume` turned on or off), which never answers what the old one carried.
   */
  readonly stream?: Resumer | null;
  open(): void;
  restart(): void;
  close(code: number, reason: string): void;
  /**
   * `once`: a request or reply, which must never be sent again after a change of holding tab
   * (unless resume carries it). `raw`: from `sendRaw()`, outside resume.
   */
  send(payload: Payload, once?: boolean, raw?: boolean): boolean;
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
