// Browser tests: real Chromium, Firefox and WebKit, against two real WebSocket servers that
// this config starts for the whole run:
//   - the raw test server, test/fixture/server.mjs, written on `ws` to misbehave on command;
//   - `bricks-websocket/server` (the build in dist/server), test/fixture/library.mjs, which the
//     tests in test/library/ use (`virtual:library-server`, typed in test/library-server.d.ts).
//
// Tests reach the raw server through a virtual module served by this config:
//
//   import { port, wsBase, controlBase } from 'virtual:test-server';
//   // wsBase      = 'ws://127.0.0.1:<port>/ws'        → `${wsBase}/<room>?mode=echo`
//   // controlBase = 'http://127.0.0.1:<port>/control' → `${controlBase}/<room>/stats`
//
// The bare name (typed in test/test-server.d.ts; TypeScript cannot declare a
// module named by an absolute path) is rewritten to the URL TEST_SERVER_URL.
// Prefer the typed helpers in test/helpers/server.ts over importing it directly.
//
// Narrowing a run:
//   npm test -- --files test/server.test.ts    one file (any web-test-runner flag passes through)
//   BROWSERS=firefox npm test                  one browser (chromium, firefox, webkit; comma-separated)
//
// WebKit is WebKitGTK's MiniBrowser behind WebKitWebDriver (WebDriver classic),
// which scripts/test.mjs starts on an Xvfb display and names in WEBKIT_WEBDRIVER_PORT;
// run web-test-runner through `npm test` when WebKit is among the browsers.
//
// test/frameworks/ mounts the element from React, Vue, Svelte, Angular, htmx and
// a plain page; the plugins at the end compile what those need (see frameworkPlugins()).

import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { webdriverLauncher } from '@web/test-runner-webdriver';
import { findBrowsers, wantedEngines } from './scripts/browsers.mjs';
import { frameworkPlugins } from './test/frameworks/plugins.mjs';
import { startTestServer } from './test/fixture/server.mjs';
import { libraryServerPlugin } from './test/fixture/library.mjs';
import { libraryChaosPlugin } from './test/fixture/library-chaos.mjs';

const TEST_SERVER_MODULE = 'virtual:test-server';
const TEST_SERVER_URL = '/__test-server.js';

// One test page at a time per browser; two browsers run side by side, one per
// core of a small CI machine, and the third (WebKit, last) starts when one ends. Measured here with five test files: Chromium
// gains nothing from a second page and Firefox becomes about three times
// slower (6 s → 18 s), so more pages would only add risk.
const PAGES_PER_BROWSER = 1;

const CHROME_ARGS = [
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Keep timers and networking at full speed even when the page is not in front.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // Chromium's sandbox cannot start as root (containers, CI).
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

/** Runs the raw test server for the whole test run and serves its address to the tests. */
function wsServerPlugin() {
  let server;
  return {
    name: 'bricks-websocket-test-server',
    async serverStart() {
      server = await startTestServer({ port: 0 });
    },
    async serverStop() {
      await server?.close();
    },
    resolveImport({ source }) {
      return source === TEST_SERVER_MODULE ? TEST_SERVER_URL : undefined;
    },
    serve(context) {
      if (context.path !== TEST_SERVER_URL) return undefined;
      // 127.0.0.1, not localhost: the server binds IPv4 only and this spares
      // the browsers a try on ::1 for every connection.
      const origin = `127.0.0.1:${server.port}`;
      return {
        type: 'js',
        body: [
          `export const port = ${server.port};`,
          `export const wsBase = 'ws://${origin}/ws';`,
          `export const controlBase = 'http://${origin}/control';`,
        ].join('\n'),
      };
    },
  };
}

function browserLaunchers() {
  const paths = findBrowsers();
  const launchers = {
    chromium: () =>
      chromeLauncher({
        concurrency: PAGES_PER_BROWSER,
        launchOptions: { executablePath: required(paths.chrome, 'CHROME_PATH'), headless: true, args: CHROME_ARGS },
      }),
    firefox: () =>
      puppeteerLauncher({
        concurrency: PAGES_PER_BROWSER,
        launchOptions: {
          browser: 'firefox',
          executablePath: required(paths.firefox, 'FIREFOX_PATH'),
          headless: true,
          // Fake camera and microphone without a prompt, as Chromium's flags above: MediaRecorder tests.
          extraPrefsFirefox: { 'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true },
        },
      }),
    webkit: () =>
      webdriverLauncher({
        automationProtocol: 'webdriver',
        hostname: '127.0.0.1',
        port: webkitDriverPort(),
        logLevel: 'error',
        capabilities: {
          browserName: 'MiniBrowser',
          // WebKitWebDriver speaks WebDriver classic only; without this webdriverio tries BiDi first.
          'wdio:enforceWebDriverClassic': true,
          // Navigation returns at once instead of waiting for the page's load event: the runner
          // already waits for the test page to start (testsStartTimeout) and fails that file if it
          // does not, whereas a navigation that waited 300 s for a load once stopped the whole
          // run under load (an uncaught UND_ERR_HEADERS_TIMEOUT from @web/test-runner-webdriver).
          pageLoadStrategy: 'none',
          // Mock camera and microphone (a WebKitSettings option), for the MediaRecorder tests; windows
          // opened by script, for the back/forward cache test (test/integration/page-lifecycle.test.ts).
          'webkitgtk:browserOptions': {
            binary: required(paths.miniBrowser, 'WEBKIT_BROWSER_PATH'),
            args: ['--automation', '--enable-mock-capture-devices=true', '--javascript-can-open-windows-automatically=true'],
          },
        },
      }),
  };
  return wantedEngines().map((engine) => launchers[engine]());
}

function webkitDriverPort() {
  const port = Number(process.env.WEBKIT_WEBDRIVER_PORT);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error('WebKit needs WebKitWebDriver on an X display: run the tests with `npm test` (which starts both), or leave WebKit out with BROWSERS=chromium,firefox.');
  }
  return port;
}

function required(path, envName) {
  if (!path) throw new Error(`No browser found; run \`node scripts/browsers.mjs\` or set ${envName}.`);
  return path;
}

export default {
  rootDir: fileURLToPath(new URL('.', import.meta.url)),
  files: ['test/**/*.test.ts', 'test/frameworks/*.test.tsx', 'test/frameworks/*.test.html'],
  // `browser`, as browser bundlers use: Svelte's `svelte` entry is its server build otherwise.
  // No `development`: Lit's production build, as users ship it, and without its dev-mode banner.
  nodeResolve: { exportConditions: ['browser'] },
  browsers: browserLaunchers(),
  concurrentBrowsers: 2,
  concurrency: PAGES_PER_BROWSER,
  // Bounds a test that hangs, no more: passing tests end as soon as their events arrive, and a
  // machine busy with other work may take several times longer than an idle one.
  testFramework: { config: { timeout: 60_000 } },
  testsStartTimeout: 60_000,
  testsFinishTimeout: 5 * 60_000,
  browserStartTimeout: 60_000,
  plugins: [
    wsServerPlugin(),
    libraryServerPlugin(),
    libraryChaosPlugin(),
    // tsconfig.json carries experimentalDecorators and useDefineForClassFields:
    // false, which Lit's decorators in src/ depend on.
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
    ...frameworkPlugins(),
  ],
};
