// custom-elements.json is committed for editors, docs and frameworks; it must match the JSDoc in src/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('custom-elements.json is what `npm run analyze` generates from src/', () => {
  // The analyzer joins --outdir to the working directory, so give it a relative path.
  const out = mkdtempSync(join(root, '.cem-check-'));
  try {
    execFileSync(join(root, 'node_modules/.bin/cem'), ['analyze', '--config', 'custom-elements-manifest.config.mjs', '--outdir', relative(root, out)], { cwd: root, stdio: 'pipe' });
    const fresh = JSON.parse(readFileSync(join(out, 'custom-elements.json'), 'utf8'));
    const committed = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
    assert.deepEqual(committed, fresh, 'custom-elements.json is stale: run `npm run analyze` and commit it');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the manifest names every attribute, event and state of the contract', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
  const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'bricks-websocket');
  assert.ok(element, 'no bricks-websocket declaration');
  assert.deepEqual(element.attributes.map((a) => a.name).sort(), [
    'binary-type', 'buffer-limit', 'connect-timeout', 'heartbeat', 'heartbeat-timeout', 'heartbeat-type', 'max-retries', 'protocols', 'queue-limit',
    'reconnect-delay', 'reconnect-max-delay', 'request-timeout', 'resume', 'session-origins', 'share', 'stop-codes', 'with-session', 'ws-url',
  ]);
  assert.deepEqual(element.events.map((e) => e.name).sort(), ['base64audio', 'base64video', 'close', 'drain', 'error', 'message', 'open', 'reconnecting', 'resumed', 'text']);
  assert.deepEqual(element.cssStates.map((s) => s.name).sort(), ['backpressure', 'closed', 'closing', 'connecting', 'idle', 'open', 'reconnecting']);
});

test('the manifest lists the attributes the declarative layer reads on descendants', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
  const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'bricks-websocket');
  assert.deepEqual(element.descendantAttributes.map((a) => a.name).sort(), [
    'data-field', 'data-field-attr', 'data-insert', 'data-limit', 'data-receive', 'data-reply', 'data-reply-error',
    'data-request', 'data-send', 'data-send-when', 'data-state', 'data-type',
  ]);
  for (const attribute of element.descendantAttributes) assert.ok(attribute.description.length > 20, `${attribute.name} is described`);
});
