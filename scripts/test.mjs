// `npm test`: every check, in order, stopping at the first failure with its
// exit code and the list of the steps that did not run. Extra arguments go to
// web-test-runner:
//   npm test -- --files test/server.test.ts
//   BROWSERS=firefox npm test                  (chromium, firefox, webkit; comma-separated)
//
// For WebKit it starts an Xvfb display and WebKitWebDriver on it before the
// browser tests, and stops both afterwards, also on failure or Ctrl-C.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BROWSERS, ensureBrowsers, wantedEngines } from './browsers.mjs';
import { ensureRedisServer } from './redis.mjs';
import { startWebKit } from './webkit.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

/** What must be stopped if we are interrupted: the running step and WebKit's helpers. */
let current = null;
let webkit = null;

function run(command, args, env = process.env) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    current = child;
    child.on('error', (error) => {
      console.error(`Could not start ${command}: ${error.message}`);
      resolve(127);
    });
    // A child killed by a signal has no exit code; report failure anyway.
    child.on('exit', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    current?.kill(signal);
    webkit?.stopNow();
    process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
  });
}
process.on('exit', () => webkit?.stopNow());

let engines;
try {
  engines = wantedEngines();
} catch (error) {
  console.error(error.message);
  process.exit(2);
}
const programs = ensureBrowsers(engines);
// The Redis adapter's tests start their own private redis-server (scripts/redis.mjs).
try {
  ensureRedisServer();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
const testEnv = { ...process.env };
for (const [name, path] of Object.entries(programs)) testEnv[BROWSERS[name].env] = path;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function browserTests(args, env) {
  if (engines.includes('webkit')) {
    webkit = await startWebKit({ xvfb: programs.xvfb, driver: programs.webkitDriver });
    console.log(`\nWebKit: WebKitWebDriver on 127.0.0.1:${webkit.port}, Xvfb display ${webkit.display}`);
    env = { ...env, WEBKIT_WEBDRIVER_PORT: String(webkit.port) };
  }
  try {
    return await run(bin('web-test-runner'), args, env);
  } finally {
    await webkit?.stop();
    webkit = null;
  }
}

const steps = [
  ['type-check src', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['type-check the server (src/server, src/protocol: Node types, no DOM)', bin('tsc'), ['-p', 'tsconfig.server.json', '--noEmit']],
  ['type-check the shared wire rules alone (src/protocol: neither DOM nor Node)', bin('tsc'), ['-p', 'src/protocol']],
  ['type-check tests', bin('tsc'), ['-p', 'test/tsconfig.json']],
  ['type-check framework tests', bin('tsc'), ['-p', 'test/frameworks/tsconfig.json', '--noEmit']],
  ['build', npm, ['run', 'build']],
  ['typings (test/types)', bin('tsc'), ['-p', 'test/types/tsconfig.json']],
  ['node tests: manifest freshness, import without a DOM, no import circle in src/, what the demo server serves, size budget (test/node)', process.execPath, ['--test', '--test-reporter=spec', 'test/node/']],
  ['node tests: the wire rules and PROTOCOL.md (test/protocol), the server against real sockets (test/server), the Redis adapter against a private redis-server (test/redis)', process.execPath, ['--test', '--test-reporter=spec', 'test/protocol/', 'test/server/', 'test/redis/']],
  ['browser tests', browserTests, process.argv.slice(2), testEnv],
  // The demo's end-to-end test drives Chromium itself; a run narrowed with --files leaves it out.
  ...(process.argv.length > 2 ? [] : [['demo end to end (test/demo)', process.execPath, ['--test', '--test-reporter=spec', 'test/demo/'], testEnv]]),
];

for (const [index, [name, command, args, env]] of steps.entries()) {
  let code;
  try {
    code = typeof command === 'function' ? await command(args, env) : await run(command, args, env);
  } catch (error) {
    console.error(error.message);
    code = 1;
  }
  if (code !== 0) {
    // Say what was skipped: a run that stops early must not read as a run that covered everything.
    const skipped = steps.slice(index + 1).map(([later]) => `  - ${later}`);
    console.error(`\nnpm test: "${name}" failed (exit code ${code}).`);
    if (skipped.length) console.error(`These steps did not run:\n${skipped.join('\n')}`);
    process.exit(code);
  }
}
console.log(`\nnpm test: all ${steps.length} steps passed.`);
if (process.argv.length > 2) console.log('A narrowed run leaves out the demo\'s end-to-end test: `npm run build && npm run test:demo` runs it.');
