// How the server half ships: `bricks-websocket/server` through the package's own name and
// exports, `ws` an optional peer dependency (browser users install nothing new), and nothing of
// the server or of `ws` in what `import 'bricks-websocket'` or the CDN builds load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

/** Every module `entry` loads, statically or on demand, followed through relative imports. */
function graph(entry) {
  const seen = new Set();
  const bare = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // tsc's output: import/export ... from '...', bare import '...', and import('...').
    const specs = [
      ...code.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/gm),
      ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
      ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ].map(([, spec]) => spec);
    for (const spec of specs) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen].map((file) => path.relative(root, file)), bare: [...bare] };
}

test("bricks-websocket/server is exported with its typings, and imports through the package's name", async () => {
  assert.deepEqual(pkg.exports['./server'], { types: './dist/server/index.d.ts', default: './dist/server/index.js' });
  assert.ok(existsSync(`${root}dist/server/index.d.ts`));
  assert.ok(pkg.files.includes('PROTOCOL.md'), 'the README links to PROTOCOL.md, so the package ships it');
  const stdout = await new Promise((resolve, reject) => {
    const code = `const m = await import('bricks-websocket/server'); console.log(Object.keys(m).sort().join(' '))`;
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: root }, (error, out) => (error ? reject(error) : resolve(out)));
  });
  assert.equal(stdout.trim(), 'BricksServer ReplyError createServer');
});

test('ws is an optional peer dependency: npm installs nothing for users who never import the server', () => {
  assert.equal(pkg.dependencies.ws, undefined);
  // 8.23.0 is the first that bounds what a client can make the server hold in ws itself: a message's
  // fragments (8.21.0) and pongs for pings it sends without reading (8.23.0); hostile.test.mjs.
  const [, minor] = pkg.peerDependencies.ws.match(/^\^8\.(\d+)\.\d+$/) ?? assert.fail(`ws ${pkg.peerDependencies.ws} is not ^8.x.y`);
  assert.ok(Number(minor) >= 23, `the ws peer range ${pkg.peerDependencies.ws} lets in a ws that lets a client grow the server's memory`);
  assert.deepEqual(pkg.peerDependenciesMeta.ws, { optional: true });
  assert.ok(pkg.devDependencies.ws, 'the tests and the demo use it');
});

test("what import 'bricks-websocket' loads reaches neither the server nor ws nor Node's modules", () => {
  for (const entry of ['dist/index.js', 'dist/bricks-websocket-element.js']) {
    const { files, bare } = graph(`${root}${entry}`);
    assert.ok(files.length > 5, `${entry} was followed`);
    assert.deepEqual(files.filter((file) => file.startsWith('dist/server/')), [], entry);
    assert.deepEqual(bare.filter((spec) => !spec.startsWith('@lit/reactive-element')), [], entry);
  }
});

test('the CDN builds hold nothing of the server or of ws', () => {
  const cdn = `${root}dist/cdn/`;
  const files = readdirSync(cdn).filter((file) => file.endsWith('.js'));
  assert.ok(files.length >= 2);
  for (const file of files) {
    const code = readFileSync(cdn + file, 'utf8');
    for (const marker of ['"ws"', "'ws'", 'node:', 'WebSocketServer', 'sendLimit', 'Internal error']) {
      assert.ok(!code.includes(marker), `${file} contains ${marker}`);
    }
  }
});

test('the server module graph stays on its side: the wire rules and ws, nothing of the element', () => {
  const { files, bare } = graph(`${root}dist/server/index.js`);
  assert.deepEqual(files.filter((file) => !file.startsWith('dist/server/') && !file.startsWith('dist/protocol/')), []);
  assert.deepEqual(bare.filter((spec) => spec !== 'ws' && !spec.startsWith('node:')).sort(), []);
});
