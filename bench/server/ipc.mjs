// The processes of the server bench and how they talk: the bench (bench/run.mjs) starts the
// server under test (under-test.mjs) and the load generators (load.mjs) as child processes and
// calls them over Node's IPC channel, one request and one answer at a time per call.
//
// Both sides also agree here on the clock: process.hrtime is CLOCK_MONOTONIC on Linux (and the
// system-wide monotonic clock elsewhere), one clock for every process on the machine, so a time
// stamped in the server process can be subtracted from a time read in a load process.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Milliseconds on the machine's monotonic clock, comparable across its processes. */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The open-file limits of this process ({soft, hard}), or null where /proc cannot say. */
export function openFileLimits() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.trim().split(/\s{2,}/).slice(1, 3).map((x) => (x === 'unlimited' ? Infinity : Number(x)));
    return { soft, hard };
  } catch {
    return null;
  }
}

/** Throws, with what to do, when a process holding `sockets` sockets cannot have the files it needs. */
export function assertOpenFiles(sockets, name = 'a server process') {
  const need = sockets + 256; // sockets, plus what Node, the IPC channel and ws keep open
  const limits = openFileLimits();
  if (limits && limits.hard < need) {
    throw new Error(`${name} needs about ${need} open files and the hard limit is ${limits.hard}: raise it (ulimit -Hn ${need} as root, or nofile in /etc/security/limits.conf), or pass fewer --clients.`);
  }
  return { need, limits };
}

/**
 * Starts `file` as a Node child process that answers calls (see serve()). `files` is how many
 * sockets it will hold: when that is over the soft open-file limit, the child is started through
 * `sh -c 'ulimit -n …'`, which raises its soft limit up to the hard one (no privilege needed).
 */
export function startProcess(file, { name, files = 0, execArgv = [] }) {
  const { need, limits } = assertOpenFiles(files, name);
  let command = process.execPath;
  let args = [...execArgv, file];
  if (limits && limits.soft < need) {
    args = ['-c', `ulimit -n ${need} && exec "$0" "$@"`, process.execPath, ...args];
    command = '/bin/sh';
  }
  // 'advanced' serialization: latencies come back as typed arrays, not as JSON text.
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  return new Child(child, name);
}

/** A started process: `call(cmd, args)` resolves with its answer; `stop()` ends it. */
class Child {
  #child;
  #name;
  #pending = new Map();
  #nextId = 0;
  #exited = null;

  constructor(child, name) {
    this.#child = child;
    this.#name = name;
    child.on('message', ({ id, result, error }) => {
      const call = this.#pending.get(id);
      if (!call) return;
      this.#pending.delete(id);
      if (error) call.reject(new Error(`${name}: ${error}`));
      else call.resolve(result);
    });
    this.#exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        for (const call of this.#pending.values()) call.reject(new Error(`${name} exited (${signal ?? `code ${code}`}) during ${call.cmd}`));
        this.#pending.clear();
        resolve();
      });
    });
  }

  /** Calls `cmd` in the child; rejects after `timeoutMs`, so a stuck contender fails the run instead of hanging it. */
  call(cmd, args = {}, timeoutMs = 180_000) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.#name}: no answer to ${cmd} after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const settle = (fn) => (value) => {
        clearTimeout(timer);
        fn(value);
      };
      this.#pending.set(id, { cmd, resolve: settle(resolve), reject: settle(reject) });
      if (!this.#child.connected) this.#pending.get(id).reject(new Error(`${this.#name} is not running (${cmd})`));
      else this.#child.send({ id, cmd, args });
    });
  }

  /** Closes the channel, which ends the child (serve() exits on it); kills it if it has not gone within 5 s. */
  async stop() {
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The child's side: answers each call with `handlers[cmd](args)`, and exits when the bench goes away. */
export function serve(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      if (!handlers[cmd]) throw new Error(`unknown call ${cmd}`);
      process.send({ id, result: await handlers[cmd](args) });
    } catch (error) {
      process.send({ id, error: error?.stack ?? String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
