// WebKit for the tests: an Xvfb display and WebKitWebDriver on it, started by
// scripts/test.mjs before web-test-runner and stopped after it.
//
//   const webkit = await startWebKit({ xvfb: '/usr/bin/Xvfb', driver: '/usr/bin/WebKitWebDriver' });
//   webkit.display  → ':99'   (the first free display; Xvfb picks it)
//   webkit.port     → 4444    (a free TCP port on 127.0.0.1)
//   await webkit.stop();      // idempotent; also safe from an exit handler (stopNow)
//
// The driver launches MiniBrowser (webkitgtk:browserOptions in
// web-test-runner.config.mjs) on that display for each WebDriver session.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const READY_TIMEOUT_MS = 15_000;

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `child` has exited (at once if it already has). */
function exited(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

function failOnEarlyExit(child, name) {
  return new Promise((_, reject) => {
    child.once('error', (error) => reject(new Error(`Could not start ${name}: ${error.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`${name} exited before it was ready (${signal ?? `exit code ${code}`}).`)));
  });
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} was not ready after ${ms} ms.`)), ms).unref());
}

/** Xvfb on the first free display: `-displayfd` makes it choose one and write its number once it accepts clients. */
async function startXvfb(xvfb) {
  const child = spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  const display = new Promise((resolve) => {
    let text = '';
    child.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
  });
  try {
    return { child, display: await Promise.race([display, failOnEarlyExit(child, 'Xvfb'), timeout(READY_TIMEOUT_MS, 'Xvfb')]) };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${log}`);
  }
}

/** WebKitWebDriver on `port`, ready once its /status answers. */
async function startDriver(driver, port, display) {
  const child = spawn(driver, [`--port=${port}`, '--host=local'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DISPLAY: display },
  });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  const ready = (async () => {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/status`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await Promise.race([ready, failOnEarlyExit(child, 'WebKitWebDriver'), timeout(READY_TIMEOUT_MS, 'WebKitWebDriver')]);
    return child;
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${log}`);
  }
}

/** Starts Xvfb, then WebKitWebDriver on its display. */
export async function startWebKit({ xvfb, driver }) {
  const x = await startXvfb(xvfb);
  let driverChild;
  try {
    const port = await freePort();
    driverChild = await startDriver(driver, port, x.display);
    const children = [driverChild, x.child];
    return {
      display: x.display,
      port,
      /** Synchronous, for exit handlers: the driver takes its MiniBrowsers with it, and they lose their display anyway. */
      stopNow() {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
      /** Stops the driver, then the display, and waits for both. */
      async stop() {
        for (const child of children) {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited(child);
          clearTimeout(forced);
        }
      },
    };
  } catch (error) {
    x.child.kill('SIGTERM');
    throw error;
  }
}
