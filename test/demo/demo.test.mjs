// End-to-end test of the demo (`npm start`): real headless Chromium, real
// server (demo/server.mjs, on bricks-websocket/server), the CDN builds in dist/cdn. Run `npm run build`
// first, then `npm run test:demo` (or `node --test test/demo/`).
//
// Two pages of demo/index.html (alice, bob) and one of demo/classic.html
// (carol) share a fresh room; demo/hello.html, the README's first page, gets
// a tab of its own. Two more pages of one person (erin) in a room of their own
// share one connection (share="tabs"). Screenshots go to test-results/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startServer } from '../../demo/server.mjs';
import { findBrowser } from '../../scripts/browsers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = `${ROOT}test-results`;
const TIMEOUT = 15_000;

const CHROME_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-gpu',
  // Pages that are not in front keep their timers and rAF at full speed.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // Chromium's sandbox cannot start as root (containers, CI).
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

const DESKTOP = { width: 1280, height: 900 };
// Not isMobile: switching to it reloads the page, and we want this one's content.
const PHONE = { width: 390, height: 844, deviceScaleFactor: 2 };

let server;
let browser;
let origin;
const room = `demo-${randomUUID().slice(0, 8)}`;
const pageErrors = [];

async function openPage(file, name, inRoom = room) {
  // A window each, not a tab each: a tab behind another is hidden, and hidden
  // pages neither render (so clicks and media stall) nor run rAF.
  const page = await browser.newPage({ type: 'window' });
  await page.setViewport(DESKTOP);
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  await page.goto(`${origin}/demo/${file}?room=${inRoom}&name=${name}`);
  await waitForState(page, 'open');
  return page;
}

function waitForState(page, state, timeout = TIMEOUT) {
  return page.waitForFunction((s) => document.querySelector('bricks-websocket').matches(`:state(${s})`), { timeout }, state);
}

/** The text the state badge shows: CSS generated content, set by :state() rules only. */
function badgeText(page) {
  return page.$eval('.badge', (badge) => getComputedStyle(badge, '::after').content.replace(/^"|"$/g, ''));
}

async function say(page, text) {
  await page.click('#say', { count: 3 });
  await page.type('#say', text);
  await page.keyboard.press('Enter');
}

/** Waits until a remote chat message with this text is shown; resolves with its sender. */
async function waitForMessage(page, text, timeout = TIMEOUT) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('.msg[data-origin="remote"] .body')].some((body) => body.textContent === t),
    { timeout },
    text,
  );
  return page.evaluate((t) => {
    const item = [...document.querySelectorAll('.msg[data-origin="remote"]')].find((msg) => msg.querySelector('.body').textContent === t);
    return { from: item.querySelector('.who').textContent, time: item.querySelector('time').textContent };
  }, text);
}

function countMessages(page, text) {
  return page.$$eval('.msg .body', (bodies, t) => bodies.filter((body) => body.textContent === t).length, text);
}

async function stats(inRoom = room) {
  const response = await fetch(`${origin}/control/${inRoom}/stats`);
  return response.json();
}

/**
 * Polls the room's stats until `condition` holds: what one page sent may reach the server after
 * what another page has already seen. Fails with `what` after `timeout`.
 */
async function statsUntil(condition, what, inRoom = room, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const current = await stats(inRoom);
    if (condition(current)) return current;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for the server: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function screenshot(page, name) {
  await page.screenshot({ path: `${RESULTS}/${name}.png`, fullPage: true });
}

/** Positions of the controls, to prove that arriving content does not move them. */
function controlRects(page) {
  return page.$$eval('#say, #tone, #record-canvas, #drop, #refuse, .badge', (nodes) =>
    nodes.map((node) => {
      const { x, y, width, height } = node.getBoundingClientRect();
      return `${node.id || node.className} ${Math.round(x)},${Math.round(y + scrollY)} ${Math.round(width)}x${Math.round(height)}`;
    }),
  );
}

describe('the demo (npm start)', () => {
  let alice;
  let bob;
  let bobLayout;

  before(async () => {
    if (!existsSync(`${ROOT}dist/cdn/bricks-websocket.js`) || !existsSync(`${ROOT}dist/cdn/bricks-websocket.iife.js`)) {
      throw new Error('dist/cdn is missing: run `npm run build` before the demo test.');
    }
    const executablePath = findBrowser('chrome');
    if (!executablePath) throw new Error('No Chromium or Chrome found: install it (Debian/Ubuntu: apt-get install chromium) or set CHROME_PATH.');
    mkdirSync(RESULTS, { recursive: true });
    server = await startServer({ port: 0 });
    origin = `http://127.0.0.1:${server.port}`;
    browser = await puppeteer.launch({ executablePath, headless: true, args: CHROME_ARGS, protocolTimeout: 30_000 });
    alice = await openPage('index.html', 'alice');
    bob = await openPage('index.html', 'bob');
    bobLayout = await controlRects(bob);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the state badge says online, from CSS :state() alone', async () => {
    assert.equal(await badgeText(alice), 'online');
    assert.equal(await badgeText(bob), 'online');
  });

  test('a chat message typed in one page appears in the other with its sender and time', async () => {
    await say(alice, 'hello from alice');
    const { from, time } = await waitForMessage(bob, 'hello from alice');
    assert.equal(from, 'alice');
    assert.match(time, /\d/);
    // The server sends it back to alice too: that confirms the message she already shows.
    await alice.waitForSelector('.msg[data-origin="local"][data-confirmed]', { timeout: TIMEOUT });
    assert.equal(await countMessages(alice, 'hello from alice'), 1, 'the sender shows its own message once');
  });

  test('the server asks each page whoami, and the page answers with event.reply()', async () => {
    // Each page answers on its own socket: nothing the other page saw says the server has read it yet.
    const { whoami } = await statsUntil((s) => s.whoami.length >= 2, 'an answer from each page');
    assert.deepEqual(whoami.map((answer) => answer.name).sort(), ['alice', 'bob'], 'one answer from each page');
    for (const answer of whoami) assert.match(answer.colour, /^#[0-9a-f]{6}$/);
  });

  test('a page that joins late shows the conversation so far, from a history request', async () => {
    const dave = await openPage('index.html', 'dave');
    await dave.waitForFunction(() => document.querySelector('#history-status').textContent.includes('earlier message'), { timeout: TIMEOUT });
    const earlier = await dave.$$eval('.msg[data-origin="history"]', (items) => items.map((item) => [item.querySelector('.who').textContent, item.querySelector('.body').textContent]));
    assert.deepEqual(earlier, [['alice', 'hello from alice']]);
    await dave.close();
  });

  test('renaming asks the server: a name in use is refused with its reason, a free one is taken', async () => {
    const rename = (page, name) => page.evaluate((n) => {
      const input = document.querySelector('#name');
      input.value = n;
      input.dispatchEvent(new Event('change'));
    }, name);
    const status = (page, pattern) => page.waitForFunction((p) => new RegExp(p).test(document.querySelector('#name-status').textContent), { timeout: TIMEOUT }, pattern);
    await rename(bob, 'Alice');
    await status(bob, 'taken');
    assert.equal(await bob.$eval('#name', (input) => input.value), 'bob', 'the field goes back to the name in force');
    await rename(bob, 'bobby');
    await status(bob, 'You are bobby');
    await rename(bob, 'bob');
    await status(bob, 'You are bob\\.');
    assert.equal(await bob.$eval('bricks-websocket', (socket) => socket.pending), 0);
  });

  test('the test tone arrives as an <audio> whose metadata says one second', async () => {
    await alice.click('#tone');
    const handle = await bob.waitForFunction(
      () => {
        const audio = document.querySelector('.clip[data-origin="remote"] audio');
        return audio && audio.readyState >= HTMLMediaElement.HAVE_METADATA && audio.duration;
      },
      { timeout: TIMEOUT },
    );
    const duration = await handle.jsonValue();
    assert.ok(Math.abs(duration - 1) < 0.02, `duration ${duration} s`);
    // Alice's own clip comes back to her as well, after a clip frame naming her: it confirms the one she shows.
    await alice.waitForSelector('.clip.audio[data-origin="local"][data-confirmed]', { timeout: TIMEOUT });
    assert.equal(await alice.$$eval('.clip.audio', (clips) => clips.length), 1, 'the sender shows its own clip once');
    assert.equal(await bob.$eval('.clip.audio[data-origin="remote"] .who', (who) => who.textContent), 'alice');
    const frame = (await stats()).received.find((text) => text.startsWith('{"type":"base64audio"'));
    assert.ok(frame, 'the server received a base64audio frame');
    // "UklGR" is base64 for "RIFF": the bare WAV, with no data: prefix.
    assert.ok(JSON.parse(frame).data.startsWith('UklGR'), 'the frame data is the WAV file in base64');
  });

  test('a canvas video clip arrives as a <video> whose metadata loads', async () => {
    await alice.click('#record-canvas');
    const handle = await bob.waitForFunction(
      () => {
        const video = document.querySelector('.clip[data-origin="remote"] video');
        return video && video.readyState >= HTMLMediaElement.HAVE_METADATA && { width: video.videoWidth, height: video.videoHeight };
      },
      { timeout: 30_000 },
    );
    assert.deepEqual(await handle.jsonValue(), { width: 320, height: 180 });
    assert.ok((await stats()).received.some((text) => text.startsWith('{"type":"base64video"')));
  });

  test('dropping the connection shows reconnecting, then open, and a message typed meanwhile arrives once', async () => {
    // Bob comes back at once. Alice's wait is longer than this test: she types into it, and
    // connect() ends it once bob is open again, so bob is in the room when her queue is flushed
    // (the server relays to those present), however long the typing took on a busy machine.
    await bob.evaluate(() => (document.querySelector('bricks-websocket').reconnectDelay = 20));
    await alice.evaluate(() => {
      const socket = document.querySelector('bricks-websocket');
      socket.reconnectDelay = 120_000;
      socket.reconnectMaxDelay = 120_000;
    });

    await alice.click('#drop');
    await waitForState(alice, 'reconnecting');
    assert.equal(await badgeText(alice), 'reconnecting…');

    const text = `typed while down ${randomUUID().slice(0, 8)}`;
    await say(alice, text);
    assert.equal(await alice.$eval('bricks-websocket', (socket) => socket.queued), 1, 'the message waits in the queue');
    assert.equal(await alice.$eval('.msg[data-pending] .body', (body) => body.textContent), text, 'and is shown as queued');
    await alice.screenshot({ path: `${RESULTS}/demo-reconnecting.png` });

    await waitForState(bob, 'open');
    assert.equal(await alice.$eval('bricks-websocket', (socket) => socket.state), 'reconnecting', 'alice is still waiting');
    await alice.evaluate(() => document.querySelector('bricks-websocket').connect());
    await waitForState(alice, 'open');
    assert.equal(await badgeText(alice), 'online');
    await waitForMessage(bob, text);

    // Frames keep their order, so once a later message is in, a duplicate of
    // the first would have been too.
    await say(alice, 'and one after');
    await waitForMessage(bob, 'and one after');
    assert.equal(await countMessages(bob, text), 1, 'delivered exactly once');
    assert.equal((await stats()).received.filter((frame) => frame.includes(text)).length, 1, 'sent exactly once');
    assert.equal(await alice.$$eval('.msg[data-pending]', (items) => items.length), 0, 'no message is left marked queued');
    assert.equal(await countMessages(alice, text), 1, 'the sender shows it once, its echo only confirming it');
  });

  test('the classic-script page sends and receives chat', async () => {
    const carol = await openPage('classic.html', 'carol');
    assert.equal(await carol.evaluate(() => typeof window.BricksWebSocketElement), 'function');
    assert.equal(await badgeText(carol), 'online');

    await say(carol, 'hi from the classic page');
    assert.equal((await waitForMessage(alice, 'hi from the classic page')).from, 'carol');
    await say(bob, 'hi carol');
    assert.equal((await waitForMessage(carol, 'hi carol')).from, 'bob');
    await screenshot(carol, 'demo-classic');
  });

  test("the README's first page shows what one tab sends, and prints no error", async () => {
    const page = await browser.newPage({ type: 'window' });
    const consoleErrors = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => pageErrors.push(`hello: ${error.message}`));
    await page.goto(`${origin}/demo/hello.html`);
    await waitForState(page, 'open');
    const text = `hello from one tab ${randomUUID().slice(0, 8)}`;
    await say(page, text);
    await page.waitForFunction((t) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent === t), { timeout: TIMEOUT }, text);
    assert.deepEqual(await page.$$eval('#messages li', (items) => items.map((li) => li.textContent)), [text]);
    assert.deepEqual(consoleErrors, []);
    await screenshot(page, 'demo-hello');
    await page.close();
  });

  test('two tabs of one person hold one connection; the other takes over when the holding tab closes', async () => {
    // Same browser profile, same room and name: same ws-url, so share="tabs" makes it one socket.
    const tabsRoom = `tabs-${randomUUID().slice(0, 8)}`;
    const first = await openPage('index.html', 'erin', tabsRoom);
    const second = await openPage('index.html', 'erin', tabsRoom);
    const tabsShown = (page, text, timeout = TIMEOUT) =>
      page.waitForFunction((t) => document.getElementById('tabs-status').textContent === t, { timeout }, text);
    await Promise.all([tabsShown(first, '1 connection for 2 tabs'), tabsShown(second, '1 connection for 2 tabs')]);
    const shared = await stats(tabsRoom);
    assert.equal(shared.connections, 1, 'the server saw one connection for both tabs');
    assert.equal(shared.open, 1);
    const holds = (page) => page.$eval('#socket', (socket) => socket.socket !== null);
    assert.deepEqual([await holds(first), await holds(second)], [true, false], 'the first tab holds the socket');
    assert.equal(await first.$eval('#online', (online) => online.textContent), '1 online', 'the presence bar, on the same socket');

    // From the tab without the socket: through the holding tab to the server, once, and shown once in each tab.
    const text = `from the second tab ${randomUUID().slice(0, 8)}`;
    await say(second, text);
    assert.equal((await waitForMessage(first, text)).from, 'erin');
    await second.waitForSelector('.msg[data-origin="local"][data-confirmed]', { timeout: TIMEOUT });
    await say(second, 'and after it');
    await waitForMessage(first, 'and after it');
    assert.equal(await countMessages(first, text), 1, 'the holding tab shows it once');
    assert.equal(await countMessages(second, text), 1, 'the sending tab shows it once, the echo confirming it');
    assert.equal((await stats(tabsRoom)).received.filter((frame) => frame.includes(text)).length, 1, 'the server got it once');

    // A rename in one tab renames the connection, so the other tab takes the name too.
    await second.evaluate(() => {
      const input = document.querySelector('#name');
      input.value = 'erin-b';
      input.dispatchEvent(new Event('change'));
    });
    await first.waitForFunction(() => document.querySelector('#name').value === 'erin-b', { timeout: TIMEOUT });

    await first.close();
    // The second tab holds a new socket, and the server counts it alone (once it has also seen the
    // first tab's socket close: another socket, which nothing on the second tab waits for).
    await Promise.all([
      second.waitForFunction(() => document.getElementById('socket').socket?.readyState === WebSocket.OPEN, { timeout: TIMEOUT }),
      tabsShown(second, '1 connection for 1 tab'),
    ]);
    const after = await statsUntil((s) => s.open === 1, 'the first tab\'s socket closed', tabsRoom);
    assert.equal(after.connections, 2, 'a new connection, from the second tab');
    assert.equal(after.open, 1);
    // Confirmed means the echo came from "erin-b": the new connection (ws-url still ?name=erin) got the name from whoami.
    await say(second, 'still here');
    await second.waitForFunction(
      () => [...document.querySelectorAll('.msg[data-origin="local"][data-confirmed] .body')].some((body) => body.textContent === 'still here'),
      { timeout: TIMEOUT },
    );
    assert.equal((await stats(tabsRoom)).received.filter((frame) => frame.includes('still here')).length, 1);
    await second.close();
  });

  test('arriving messages and clips do not move the controls', async () => {
    assert.deepEqual(await controlRects(bob), bobLayout);
  });

  test('renders on a desktop and on a phone without sideways scrolling', async () => {
    await screenshot(alice, 'demo-alice');
    await screenshot(bob, 'demo-bob');
    await bob.setViewport(PHONE);
    const overflow = await bob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await screenshot(bob, 'demo-bob-phone');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
  });
});

/** A one-second 440 Hz tone as a 16-bit mono WAV file. */
function toneWav(rate = 8000) {
  const bytes = rate * 2;
  const wav = Buffer.alloc(44 + bytes);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + bytes, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(bytes, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(bytes, 40);
  for (let i = 0; i < rate; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return wav;
}

// demo/no-script.html: the chat written with data-* attributes only. It cannot read the
// query string, so its pages meet in the room "lobby" of this test's own server.
describe('the no-script demo (demo/no-script.html)', () => {
  let noScriptServer;
  let noScriptBrowser;
  let noScriptOrigin;
  let dave;
  let erin;
  const errors = [];

  async function openNoScript(name) {
    const page = await noScriptBrowser.newPage({ type: 'window' });
    await page.setViewport(DESKTOP);
    page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
    await page.goto(`${noScriptOrigin}/demo/no-script.html`);
    await page.waitForFunction(() => document.getElementById('state').textContent === 'open', { timeout: TIMEOUT });
    return page;
  }

  const text = (page, selector) => page.$eval(selector, (node) => node.textContent);

  before(async () => {
    noScriptServer = await startServer({ port: 0 });
    noScriptOrigin = `http://127.0.0.1:${noScriptServer.port}`;
    noScriptBrowser = await puppeteer.launch({ executablePath: findBrowser('chrome'), headless: true, args: CHROME_ARGS, protocolTimeout: 30_000 });
    dave = await openNoScript('dave');
    erin = await openNoScript('erin');
  });

  after(async () => {
    await noScriptBrowser?.close();
    await noScriptServer?.close();
  });

  test('has no script but the classic build, and shows the state with data-state and :state()', async () => {
    const scripts = await dave.$$eval('script', (nodes) => nodes.map((node) => node.getAttribute('src')));
    assert.deepEqual(scripts, ['../dist/cdn/bricks-websocket.iife.js']);
    assert.equal(await dave.$$eval('*', (nodes) => nodes.filter((node) => [...node.attributes].some((a) => a.name.startsWith('on'))).length), 0, 'no inline handlers');
    assert.equal(await text(dave, '#state'), 'open');
    assert.equal(await badgeText(dave), 'online');
  });

  test('shows the presence count and the server clock', async () => {
    await erin.waitForFunction(() => document.getElementById('count').textContent === '2', { timeout: TIMEOUT });
    await erin.waitForFunction(() => /^\d{13}$/.test(document.getElementById('clock').textContent), { timeout: TIMEOUT });
    const first = await text(erin, '#clock');
    await erin.waitForFunction((t) => document.getElementById('clock').textContent !== t, { timeout: TIMEOUT }, first);
  });

  test('a message typed in one page appears in both with its sender and time', async () => {
    await dave.type('#say', 'hi from dave');
    await dave.keyboard.press('Enter');
    const shown = (page) =>
      page.waitForFunction(
        () => [...document.querySelectorAll('#messages .msg')].find((msg) => msg.querySelector('.body').textContent === 'hi from dave'),
        { timeout: TIMEOUT },
      );
    await Promise.all([shown(dave), shown(erin)]);
    const message = await erin.$eval('#messages .msg', (msg) => ({ from: msg.querySelector('.who').textContent, at: msg.querySelector('time').textContent }));
    assert.match(message.from, /\S/);
    assert.match(message.at, /^\d{13}$/);
    assert.equal(await dave.$eval('#say', (input) => input.value), '', 'the form was reset');

    await erin.click('#wave');
    await dave.waitForFunction(() => document.querySelector('#messages .msg .body').textContent === 'Hello, everyone!', { timeout: TIMEOUT });
  });

  test('a voice clip plays in the <audio data-receive="base64audio"> player', async () => {
    const frames = [
      JSON.stringify({ type: 'clip', data: { from: 'tester', at: Date.now(), kind: 'base64audio' } }),
      JSON.stringify({ type: 'base64audio', data: toneWav().toString('base64') }),
    ];
    const response = await fetch(`${noScriptOrigin}/control/lobby/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ frames }) });
    assert.equal(response.status, 200);
    const handle = await erin.waitForFunction(
      () => {
        const audio = document.getElementById('voice');
        return audio.src.startsWith('blob:') && audio.readyState >= HTMLMediaElement.HAVE_METADATA && audio.duration;
      },
      { timeout: TIMEOUT },
    );
    assert.ok(Math.abs((await handle.jsonValue()) - 1) < 0.02);
    assert.equal(await text(erin, '#clip-from'), 'tester');
    await screenshot(erin, 'demo-no-script');
    assert.deepEqual(errors, [], 'no uncaught errors in the pages');
  });
});
