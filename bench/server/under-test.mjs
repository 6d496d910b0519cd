// The server under test, alone in its process (started by bench/server/measure.mjs): one of
// the contenders in contenders.mjs, driven over IPC. A broadcast's data carries the time it
// was made on the machine's monotonic clock, so the load process can tell each frame's latency.
//
// Started with --expose-gc for the memory row: heap() collects garbage before it reads the heap.

import { CONTENDERS } from './contenders.mjs';
import { monotonicMs, serve } from './ipc.mjs';

// A chat line's worth of text, so a frame is about the size of a real one (about 120 bytes).
const TEXT = 'the quick brown fox jumps over the lazy dog, and again, and again';

let server = null;

serve({
  async start({ contender }) {
    server = await CONTENDERS[contender]();
    return { url: server.url, client: server.client };
  },
  /** Resolves when `joined` clients are in the room. */
  until: ({ joined }) => server.room.until(joined),
  /** Resolves when no client is in the room. */
  empty: () => server.room.empty(),
  /** Destroys every client's socket at once (the library only): the catch-up row's server-side drop. */
  drop() {
    server.drop();
  },
  broadcast({ seq }) {
    server.broadcast({ seq, sent: monotonicMs(), text: TEXT });
  },
  cpu: () => process.cpuUsage(),
  async heap() {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { heapUsed, rss, external } = process.memoryUsage();
    return { heapUsed, rss, external };
  },
  async close() {
    await server?.close();
    server = null;
  },
});
