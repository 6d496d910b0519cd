// `npm test`: every check, in order, stopping at the first failure with its
// exit code. Extra arguments go to web-test-runner:
//   npm test -- --files test/server.test.ts
//   BROWSERS=firefox npm test

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBrowsers } from './browsers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(command, args, env = process.env) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    child.on('error', (error) => {
      console.error(`Could not start ${command}: ${error.message}`);
      resolve(127);
    });
    // A child killed by a signal has no exit code; report failure anyway.
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const browsers = ensureBrowsers();
const testEnv = { ...process.env, CHROME_PATH: browsers.chrome, FIREFOX_PATH: browsers.firefox };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const steps = [
  ['type-check src', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['type-check tests', bin('tsc'), ['-p', 'test/tsconfig.json']],
  ['build', npm, ['run', 'build']],
  ['browser tests', bin('web-test-runner'), process.argv.slice(2), testEnv],
];

for (const [name, command, args, env] of steps) {
  const code = await run(command, args, env);
  if (code !== 0) {
    console.error(`\nnpm test: "${name}" failed (exit code ${code}).`);
    process.exit(code);
  }
}
