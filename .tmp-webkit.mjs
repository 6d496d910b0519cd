// Temporary: web-test-runner in WebKit without npm test's build/node steps.
import { spawn } from 'node:child_process';
import { ensureBrowsers, BROWSERS } from './scripts/browsers.mjs';
import { startWebKit } from './scripts/webkit.mjs';
const programs = ensureBrowsers(['webkit']);
const env = { ...process.env, BROWSERS: 'webkit' };
for (const [name, path] of Object.entries(programs)) env[BROWSERS[name].env] = path;
const webkit = await startWebKit({ xvfb: programs.xvfb, driver: programs.webkitDriver });
env.WEBKIT_WEBDRIVER_PORT = String(webkit.port);
const child = spawn('node_modules/.bin/web-test-runner', process.argv.slice(2), { stdio: 'inherit', env });
child.on('exit', async (code) => { await webkit.stop(); process.exit(code ?? 1); });
