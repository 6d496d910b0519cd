// A fake network for the element's unit tests: mock-socket's WebSocket in place of the browser's,
// every socket the element makes recorded with what it offered, sent and closed, and small
// helpers to mount elements and await their events.
//
//   const network = useMockNetwork();                 // in a describe: installs and restores
//   const server = network.serve('ws://mock.test/a'); // a mock-socket Server, stopped after the test
//   const el = mount({ 'ws-url': 'ws://mock.test/a' });
//   await until(el, 'open');
//   network.last().sent                               // frames the element handed to the socket

import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket/dist/mock-socket.es.mjs';
import type { BricksWebSocketElement } from '../../src/bricks-websocket.js';
import '../../src/bricks-websocket.js';
import { captureConsole } from '../helpers/console.js';
import { WAIT_MS } from '../helpers/server.js';

export type { Client };

/** mock-socket's WebSocket, recording what the element does with it. */
export class RecordingSocket extends MockWebSocket {
  /** Subprotocols passed to the constructor, in order. */
  offered: string[];
  /** Payloads passed to send(), as the same objects. */
  sent: unknown[];
  /** Arguments of every close() call. */
  closeCalls: { code?: number; reason?: string }[];

  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.offered = protocols === undefined ? [] : ([] as string[]).concat(protocols);
    this.sent = [];
    this.closeCalls = [];
    dialed.push(this);
  }

  override send(data: string | Blob | ArrayBuffer | ArrayBufferView): void {
    this.sent.push(data);
    super.send(data);
  }

  override close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    super.close(code, reason);
  }
}

const dialed: RecordingSocket[] = [];
const servers: Server[] = [];
const mounted: HTMLElement[] = [];

export interface MockNetwork {
  /** Every socket the element constructed during this test, oldest first. */
  readonly dialed: readonly RecordingSocket[];
  /** The newest socket. */
  last(): RecordingSocket;
  /** A mock server at `url`; `verifyClient: () => false` makes handshakes fail. */
  serve(url: string, options?: { verifyClient?: () => boolean }): Server;
}

/** Swaps globalThis.WebSocket for the recording mock around each test of the calling describe. */
export function useMockNetwork(): MockNetwork {
  let original: typeof WebSocket;
  beforeEach(() => {
    original = globalThis.WebSocket;
    globalThis.WebSocket = RecordingSocket as unknown as typeof WebSocket;
    dialed.length = 0;
  });
  afterEach(() => {
    // Removal first: it closes the sockets and cancels any reconnection while the mock is in place.
    for (const el of mounted.splice(0)) el.remove();
    for (const server of servers.splice(0)) server.stop();
    globalThis.WebSocket = original;
  });
  return {
    dialed,
    last: () => {
      if (dialed.length === 0) throw new Error('The element has not constructed a WebSocket.');
      return dialed[dialed.length - 1];
    },
    serve: (url, options) => {
      // mock: false, or the Server would put the plain mock WebSocket in place of the recording one.
      const server = new Server(url, { ...options, mock: false });
      servers.push(server);
      return server;
    },
  };
}

let counter = 0;

/** A URL no other test of this page uses. */
export function mockUrl(name = 'socket'): string {
  return `ws://mock.test/${name}-${++counter}`;
}

/** A URL on the page's own origin, where the session may go. */
export function sameOriginUrl(name = 'socket'): string {
  return `ws://${location.host}/unit-${name}-${++counter}`;
}

/** Every event of the given names, in order, from the element's creation on. */
export interface Recorded {
  type: string;
  detail: unknown;
  event: CustomEvent;
}

const EVENTS = ['open', 'message', 'error', 'close', 'reconnecting'];

const recordings = new WeakMap<HTMLElement, Recorded[]>();

/** The events recorded on `el`, optionally of one type only. */
export function recorded(el: HTMLElement, type?: string): Recorded[] {
  const all = recordings.get(el) ?? [];
  return type === undefined ? all : all.filter((r) => r.type === type);
}

/** The details of the recorded events of `type`. */
export function details<T = unknown>(el: HTMLElement, type: string): T[] {
  return recorded(el, type).map((r) => r.detail as T);
}

/**
 * Creates `<bricks-websocket>` with these attributes and properties, starts recording its own
 * events and `extraTypes`, and appends it to the document (unless `attach` is false). Recorded
 * `error` events are handled (`preventDefault()`) unless `handleErrors` is false.
 * Removed after the test.
 */
export function mount(
  attributes: Record<string, string | boolean> = {},
  options: { props?: Partial<BricksWebSocketElement>; extraTypes?: string[]; attach?: boolean; handleErrors?: boolean } = {},
): BricksWebSocketElement {
  const el = document.createElement('bricks-websocket');
  const log: Recorded[] = [];
  recordings.set(el, log);
  const handleErrors = options.handleErrors ?? true;
  for (const type of [...EVENTS, ...(options.extraTypes ?? [])]) {
    el.addEventListener(type, (event: Event) => {
      log.push({ type, detail: (event as CustomEvent).detail, event: event as CustomEvent });
      // Recorded for the test to assert on is handled, so it is not printed on the console too.
      if (type === 'error' && handleErrors) event.preventDefault();
    });
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  Object.assign(el, options.props ?? {});
  mounted.push(el);
  if (options.attach !== false) document.body.append(el);
  return el;
}

/**
 * The next `type` event on `target` that `accept` takes. Rejects after `ms` with a message that
 * names the event, so a missing event fails fast and says which.
 */
export function until<T = unknown>(
  target: EventTarget,
  type: string,
  accept: (event: CustomEvent<T>) => boolean = () => true,
  ms = WAIT_MS,
): Promise<CustomEvent<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener);
      reject(new Error(`No "${type}" event within ${ms} ms.`));
    }, ms);
    function listener(event: Event) {
      if (!accept(event as CustomEvent<T>)) return;
      clearTimeout(timer);
      target.removeEventListener(type, listener);
      resolve(event as CustomEvent<T>);
    }
    target.addEventListener(type, listener);
  });
}

/** Resolves once `condition` holds, checked after each task; for changes that fire no event. */
export async function settles(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** The client end of the element's newest connection, as the mock server sees it. */
export function clientOf(server: Server): Client {
  const clients = server.clients();
  if (clients.length === 0) throw new Error('The mock server has no client.');
  return clients[clients.length - 1];
}

/**
 * Calls `body` with window errors caught: a listener that throws is reported to window.onerror,
 * which mocha sets to fail the running test. Its handler is swapped out meanwhile (listeners
 * added with addEventListener cannot be ordered before it in every browser). The test runner
 * also prints every window error with console.error; that is captured meanwhile too, since the
 * caller asserts on the errors returned. Returns the errors.
 */
export async function catchingWindowErrors(body: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const previous = window.onerror;
  window.onerror = (_message, _source, _line, _column, error) => {
    errors.push(error);
    return true; // handled, like preventDefault() on the error event
  };
  const printed = captureConsole('error');
  try {
    await body();
  } finally {
    printed.restore();
    window.onerror = previous;
  }
  return errors;
}

/** A setTimeout that records what is scheduled and cleared, so a test can see a pending retry. */
export interface TimerSpy {
  /** The timers scheduled since install, with their delay, callback and whether they were cleared. */
  readonly timers: { id: number; delay: number; callback: () => void; cleared: boolean }[];
  restore(): void;
}

export function spyOnTimers(): TimerSpy {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const timers: TimerSpy['timers'] = [];
  globalThis.setTimeout = ((callback: () => void, delay = 0, ...args: unknown[]) => {
    const id = realSet(callback, delay, ...args) as unknown as number;
    timers.push({ id, delay, callback, cleared: false });
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    for (const timer of timers) if (timer.id === id) timer.cleared = true;
    realClear(id);
  }) as typeof clearTimeout;
  return {
    timers,
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}
