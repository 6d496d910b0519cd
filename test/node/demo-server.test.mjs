// `npm start`'s server serves the demo pages and the built dist/, and nothing else of the
// repository: not its sources, not node_modules, not .git, however the path is spelled.
// Requests go out through node:http with the path exactly as written: fetch() would
// normalize `/demo/../x` and `%2e%2e` before sending them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../demo/server.mjs';

/** GET `path` as written; resolves with the status and the body. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every way of asking for something outside demo/ and dist/ that these tests try. */
const OUTSIDE = [
  '/.git/config',
  '/.git/HEAD',
  '/.gitignore',
  '/package.json',
  '/README.md',
  '/src/index.ts',
  '/src/bricks-websocket-element.ts',
  '/node_modules/lit/package.json',
  '/test/node/demo-server.test.mjs',
  '/demo/../package.json',
  '/demo/..%2fpackage.json',
  '/demo/..%2Fpackage.json',
  '/demo/%2e%2e/package.json',
  '/demo/%2e%2e%2fpackage.json',
  '/demo/.%2e/package.json',
  '/dist/..%2f..%2f.git%2fconfig',
  '/dist/%2e%2e/src/index.ts',
  '/demo/..%5cpackage.json',
  '/demo/..\\package.json',
  '/%2e%2e/etc/passwd',
  '/demo%2f..%2fpackage.json',
  '/demo/%252e%252e/package.json',
  '//package.json',
];

describe('demo server: what it serves from the repository', () => {
  let server;

  before(async () => {
    server = await startServer({ port: 0, clock: false });
  });

  after(async () => {
    await server?.close();
  });

  test('/ redirects to the demo, which is served with its script', async () => {
    assert.deepEqual(await get(server.port, '/').then(({ status, location }) => ({ status, location })), { status: 302, location: '/demo/' });
    const page = await get(server.port, '/demo/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<bricks-websocket/);
    assert.equal((await get(server.port, '/demo/demo.js')).status, 200);
    assert.equal((await get(server.port, '/demo/classic.html')).status, 200);
  });

  test('serves the built CDN bundles from dist/', async () => {
    const bundle = await get(server.port, '/dist/cdn/bricks-websocket.js');
    assert.equal(bundle.status, 200, 'dist/cdn/bricks-websocket.js: run `npm run build` first');
  });

  for (const path of OUTSIDE) {
    test(`404 for ${path}`, async () => {
      const { status, body } = await get(server.port, path);
      assert.equal(status, 404, body);
      assert.doesNotMatch(body, /"name": "bricks-websocket"|\[core\]|LitElement/);
    });
  }
});

describe('demo server: dotfiles and symlinks inside the served folders', () => {
  let root;
  let server;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'bricks-demo-root-'));
    mkdirSync(join(root, 'demo', '.private'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'demo', 'index.html'), '<p>demo</p>');
    writeFileSync(join(root, 'demo', '.env'), 'SECRET=1');
    writeFileSync(join(root, 'demo', '.private', 'notes.txt'), 'secret');
    writeFileSync(join(root, 'dist', 'app.js'), 'export {};');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(root, 'demo', 'escape.txt'));
    symlinkSync(join(root, 'dist', 'app.js'), join(root, 'demo', 'app.js'));
    server = await startServer({ port: 0, root, clock: false });
  });

  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('serves the files of both folders', async () => {
    assert.equal((await get(server.port, '/demo/index.html')).body, '<p>demo</p>');
    assert.equal((await get(server.port, '/dist/app.js')).status, 200);
  });

  // A symlink is followed only while it stays in its own folder: escape.txt leads out of the
  // served folders, app.js into the other one.
  for (const path of ['/demo/.env', '/demo/%2eenv', '/demo/.private/notes.txt', '/demo/escape.txt', '/secret.txt', '/demo/app.js']) {
    test(`404 for ${path}`, async () => {
      const { status, body } = await get(server.port, path);
      assert.equal(status, 404, body);
      assert.doesNotMatch(body, /SECRET|secret$/);
    });
  }
});
