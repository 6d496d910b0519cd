// The servers under test, each the way its users would write it: every connection joins one
// room, a broadcast goes to that room, and an `echo` request is answered with its data.
//   library    bricks-websocket/server (issue 25)
//   library-resume  the same server; its clients ask for resume (issue 26), which it answers by itself
//   ws         a plain `ws` WebSocketServer: serialize once, send the string to each socket (the floor)
//   socket.io  socket.io's server (its own protocol, for its own client)
// Loaded only in the server process (under-test.mjs); the bench itself imports libraryMissing().

import { once } from 'node:events';
import http from 'node:http';

/** The library under test, by its public name: the package's own exports map says which file that is. */
export const LIBRARY = 'bricks-websocket/server';

export const ROOM = 'room';
const HOST = '127.0.0.1';

/** Null when the library loads; otherwise the sentence the table shows instead of its numbers. */
export async function libraryMissing() {
  try {
    const module = await import(LIBRARY);
    if (typeof module.createServer !== 'function') return `library not built: \`${LIBRARY}\` has no createServer()`;
    return null;
  } catch (error) {
    return `library not built: \`import('${LIBRARY}')\` failed (${error.code ?? error.name}); run \`npm run build\``;
  }
}

/** The members of the room as the bench counts them, with a wait for a number of them, or for none. */
function members() {
  const set = new Set();
  const waiting = [];
  const settle = () => {
    for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i].done()) waiting.splice(i, 1)[0].resolve(set.size);
  };
  const wait = (done) => (done() ? Promise.resolve(set.size) : new Promise((resolve) => waiting.push({ done, resolve })));
  return {
    set,
    add(member) {
      set.add(member);
      settle();
    },
    delete(member) {
      set.delete(member);
      settle();
    },
    until: (n) => wait(() => set.size >= n),
    empty: () => wait(() => set.size === 0),
  };
}

/** The TCP sockets of `server`, and drop(), which destroys them all at once: no close frame, as a dead network or proxy would. */
function droppable(server) {
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

export const CONTENDERS = {
  async library() {
    const { createServer } = await import(LIBRARY);
    const room = members();
    // Its own HTTP server, so the catch-up row can drop every socket under the library.
    const httpServer = http.createServer();
    const drop = droppable(httpServer);
    // origins '*': the load generator is not a browser and sends no Origin.
    const bricks = createServer({ server: httpServer, origins: '*' });
    bricks.on('error', (error) => process.stderr.write(`library server error: ${error?.message ?? error}\n`));
    bricks.on('connection', async (client) => {
      await client.join(ROOM);
      room.add(client);
    });
    bricks.on('disconnect', (client) => room.delete(client));
    bricks.handle('echo', (data) => data);
    httpServer.listen(0, HOST);
    await Promise.all([bricks.ready, once(httpServer, 'listening')]);
    return {
      url: `ws://${HOST}:${httpServer.address().port}/ws`,
      client: 'ws',
      room,
      broadcast: (data) => bricks.to(ROOM).send('tick', data),
      drop,
      async close() {
        await bricks.close({ timeout: 1000 });
        httpServer.closeAllConnections();
        await new Promise((resolve) => httpServer.close(resolve));
      },
    };
  },

  /** The library again, with clients that ask for resume: every frame numbered and kept in the room's history. */
  async 'library-resume'() {
    return { ...(await CONTENDERS.library()), client: 'ws-resume' };
  },

  async ws() {
    const { WebSocketServer, WebSocket } = await import('ws');
    const room = members();
    const wss = new WebSocketServer({ port: 0, host: HOST, path: '/ws' });
    wss.on('connection', (ws) => {
      room.add(ws);
      ws.on('close', () => room.delete(ws));
      ws.on('error', () => {});
      ws.on('message', (raw, isBinary) => {
        if (isBinary) return;
        let frame;
        try {
          frame = JSON.parse(raw);
        } catch {
          return;
        }
        if (frame?.type === 'echo' && typeof frame.id === 'string') ws.send(JSON.stringify({ type: 'reply', id: frame.id, data: frame.data }));
      });
    });
    await once(wss, 'listening');
    return {
      url: `ws://${HOST}:${wss.address().port}/ws`,
      client: 'ws',
      room,
      broadcast(data) {
        const frame = JSON.stringify({ type: 'tick', data });
        for (const ws of room.set) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      },
      close() {
        for (const ws of wss.clients) ws.terminate();
        return new Promise((resolve) => wss.close(resolve));
      },
    };
  },

  async 'socket.io'() {
    const { Server } = await import('socket.io');
    const room = members();
    const httpServer = http.createServer();
    const io = new Server(httpServer, { serveClient: false });
    io.on('connection', (socket) => {
      socket.join(ROOM);
      room.add(socket);
      socket.on('disconnect', () => room.delete(socket));
      socket.on('echo', (data, ack) => ack(data));
    });
    httpServer.listen(0, HOST);
    await once(httpServer, 'listening');
    return {
      url: `http://${HOST}:${httpServer.address().port}`,
      client: 'socket.io',
      room,
      broadcast: (data) => io.to(ROOM).emit('tick', data),
      close: () => new Promise((resolve) => io.close(() => resolve())),
    };
  },
};
