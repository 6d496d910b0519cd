// Server-side rendering safety: Next.js, Nuxt, SvelteKit and Angular SSR import
// the package in Node, where there is no DOM. Importing must not throw, must not
// connect anything, and must let the process exit. Runs against the built dist/
// through the package's own name and `exports`, as an app would import it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` as an ES module in a fresh Node (no DOM, nothing from this test runner), from the package root. */
function node(code) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 10_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, killed: error?.killed ?? false, stdout, stderr }),
    );
  });
}

test('there is no DOM in this Node', async () => {
  const { stdout } = await node(`console.log(typeof window, typeof document, typeof HTMLElement)`);
  assert.equal(stdout.trim(), 'undefined undefined undefined');
});

test("import 'bricks-websocket' does not throw and exports the class and the tag name", async () => {
  const result = await node(`
    const module = await import('bricks-websocket');
    console.log(JSON.stringify({ tagName: module.tagName, isClass: typeof module.BricksWebSocketElement === 'function' }));
  `);
  assert.equal(result.stderr, '', 'nothing on stderr');
  assert.equal(result.code, 0, 'the import threw');
  assert.deepEqual(JSON.parse(result.stdout), { tagName: 'bricks-websocket', isClass: true });
});

test("import 'bricks-websocket/element' does not throw", async () => {
  const result = await node(`
    const { BricksWebSocketElement } = await import('bricks-websocket/element');
    console.log(typeof BricksWebSocketElement);
  `);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'function');
});

test('importing twice (two copies of a server bundle) does not throw on the second define', async () => {
  const result = await node(`
    await import('bricks-websocket');
    await import('bricks-websocket/element').then(({ BricksWebSocketElement }) => BricksWebSocketElement);
    await import('./dist/bricks-websocket.js?again');
    console.log('ok');
  `);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'ok');
});

test('the import leaves nothing running: the process exits on its own', async () => {
  const result = await node(`await import('bricks-websocket');`);
  // On its own: not killed by node()'s 10 s bound, whatever the time a busy machine took.
  assert.equal(result.killed, false, 'the process had to be killed');
  assert.equal(result.code, 0, result.stderr);
});
