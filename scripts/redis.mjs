// A private Redis for the tests, the cluster demo and the benchmark: Debian's redis-server,
// installed the way the browsers are (with apt as root on Debian or Ubuntu, otherwise a message
// naming the package), started on a free loopback port with a temporary directory and no
// persistence, and stopped when done.
//
//   import { ensureRedisServer, startRedis } from './scripts/redis.mjs';
//   ensureRedisServer() → the path of redis-server, installing it if allowed; throws a sentence otherwise
//   const redis = await startRedis();   → { port, url, stop(), start() }
//
// The server runs under a small sh watchdog that reads its standard input: when this process
// ends in any way (a failed test, Ctrl-C, even SIGKILL) the pipe closes and the watchdog stops
// redis-server, so no Redis outlives the run. `node scripts/redis.mjs` checks (and installs) alone.

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apt, canInstallWithApt } from './browsers.mjs';

export const REDIS_PACKAGE = 'redis-server';
const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of redis-server (REDIS_SERVER_PATH overrides the search), or null. */
export function findRedisServer() {
  const fromEnv = process.env.REDIS_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`REDIS_SERVER_PATH=${fromEnv} is not an executable file.`);
    return fromEnv;
  }
  return CANDIDATES.find(isExecutable) ?? null;
}

/** redis-server's path, installing Debian's package first when root on Debian/Ubuntu; otherwise throws a sentence naming it. */
export function ensureRedisServer() {
  let found = findRedisServer();
  if (!found && canInstallWithApt()) {
    apt(['update']);
    apt(['install', '-y', REDIS_PACKAGE]);
    found = findRedisServer();
  }
  if (!found) {
    throw new Error(
      `The Redis adapter's tests need redis-server: install it (Debian/Ubuntu: sudo apt-get install ${REDIS_PACKAGE}; macOS: brew install redis) or point REDIS_SERVER_PATH at it.`,
    );
  }
  return found;
}

/** A free loopback TCP port (never 0: redis-server takes --port 0 as "no TCP"). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Stops redis-server when its standard input closes (this process ended) or says so. */
const WATCHDOG = 'server="$1"; shift; "$server" "$@" & pid=$!; read -r _; kill "$pid" 2>/dev/null; wait "$pid"';

/** A private redis-server: `start()` (again on the same port after `stop()`), `stop()`. */
export class PrivateRedis {
  #program;
  #child = null;
  #exited = null;
  port = 0;
  dir;

  constructor(program = ensureRedisServer()) {
    this.#program = program;
    this.dir = mkdtempSync(path.join(tmpdir(), 'bricks-redis-'));
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running() {
    return this.#child !== null;
  }

  /** Starts it and resolves once it accepts connections; on a free port the first time, the same port after. */
  async start() {
    if (this.#child) return this;
    for (let attempt = 1; ; attempt++) {
      const port = this.port || (await freePort());
      try {
        await this.#spawn(port);
        this.port = port;
        return this;
      } catch (error) {
        // Another program took the free port first: try another, unless the port is ours to keep.
        if (this.port || attempt >= 5 || !/already in use/i.test(error.message)) throw error;
      }
    }
  }

  #spawn(port) {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''];
    const child = spawn('sh', ['-c', WATCHDOG, 'sh', this.#program, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    return new Promise((resolve, reject) => {
      const exited = new Promise((done) => child.once('close', done));
      const onData = (chunk) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          child.stdout.off('data', onData);
          child.stderr.off('data', onData);
          child.stdout.resume();
          child.stderr.resume();
          this.#child = child;
          this.#exited = exited;
          resolve();
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.once('error', reject);
      exited.then(() => {
        if (this.#child === child) {
          this.#child = null;
        } else reject(new Error(`redis-server did not start on port ${port}:\n${output.trim().split('\n').slice(-5).join('\n')}`));
      });
    });
  }

  /** Stops it (SIGTERM, without saving) and resolves once it has exited and its port is free. */
  async stop() {
    const child = this.#child;
    if (!child) return;
    child.stdin.end('stop\n');
    await this.#exited;
    this.#child = null;
  }

  /** Stops it and removes its directory. */
  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private redis-server, started. */
export async function startRedis() {
  return new PrivateRedis().start();
}

const isMain = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    console.log(ensureRedisServer());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
