// Finds the real browsers the tests run in, installing them with apt when we
// are allowed to (root on Debian/Ubuntu), or explaining what to install.
//
//   import { findBrowsers, ensureBrowsers, wantedEngines } from './scripts/browsers.mjs';
//   wantedEngines()  → ['chromium', 'firefox', 'webkit'], or the subset named by BROWSERS=
//   findBrowsers()   → { chrome: '/usr/bin/chromium' | null, firefox: ..., webkitDriver: ..., miniBrowser: ..., xvfb: ... }
//   ensureBrowsers() → the programs the wanted engines need, all found, or exits non-zero;
//                      also installs the engines' SUPPORT_PACKAGES (codecs) that dpkg says are missing
//
// `node scripts/browsers.mjs` runs ensureBrowsers() and prints the paths.

import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The programs we need. Each one: the env var that overrides the search, the
 * usual install locations, and the Debian packages that provide it.
 */
export const BROWSERS = {
  chrome: {
    label: 'Chromium or Google Chrome',
    env: 'CHROME_PATH',
    candidates: [
      '/usr/bin/chromium',
      '/usr/bin/chromium-browser',
      '/usr/bin/google-chrome',
      '/usr/bin/google-chrome-stable',
      '/snap/bin/chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
    ],
    apt: ['chromium'],
  },
  firefox: {
    label: 'Firefox',
    env: 'FIREFOX_PATH',
    candidates: [
      '/usr/bin/firefox-esr',
      '/usr/bin/firefox',
      '/snap/bin/firefox',
      '/Applications/Firefox.app/Contents/MacOS/firefox',
    ],
    apt: ['firefox-esr'],
  },
  // WebKit is WebKitGTK's MiniBrowser, driven by WebKitWebDriver (WebDriver
  // classic) on an Xvfb display: scripts/test.mjs starts both.
  webkitDriver: {
    label: 'WebKitGTK WebDriver (WebKitWebDriver)',
    env: 'WEBKIT_DRIVER_PATH',
    candidates: ['/usr/bin/WebKitWebDriver'],
    apt: ['webkit2gtk-driver'],
  },
  miniBrowser: {
    label: 'WebKitGTK MiniBrowser',
    env: 'WEBKIT_BROWSER_PATH',
    candidates: [
      '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser',
      '/usr/lib/aarch64-linux-gnu/webkitgtk-6.0/MiniBrowser',
      '/usr/libexec/webkit2gtk-4.1/MiniBrowser',
      '/usr/libexec/webkitgtk-6.0/MiniBrowser',
    ],
    apt: ['webkit2gtk-driver'],
  },
  xvfb: {
    label: 'Xvfb (a virtual X display for WebKitGTK)',
    env: 'XVFB_PATH',
    candidates: ['/usr/bin/Xvfb'],
    apt: ['xvfb'],
  },
};

/**
 * Debian packages an engine needs beside its programs. Debian lists them as the
 * browser's recommended packages, so a browser installed with
 * `--no-install-recommends` (or by an image that drops recommends) has the
 * program but not these, and the tests fail in ways that do not name them.
 * They are checked on every run, not only when the browser is missing.
 */
export const SUPPORT_PACKAGES = {
  // WebKitGTK's MediaRecorder and media playback go through GStreamer: without
  // these, `new MediaRecorder()` throws NotSupportedError.
  webkit: ['gstreamer1.0-plugins-bad', 'gstreamer1.0-libav', 'gstreamer1.0-gl'],
};

/** The engines `npm test` runs in, and the programs each one needs. */
export const ENGINES = {
  chromium: ['chrome'],
  firefox: ['firefox'],
  webkit: ['webkitDriver', 'miniBrowser', 'xvfb'],
};

/** The engines named by BROWSERS (comma-separated), all of them by default. Throws on an unknown name. */
export function wantedEngines(env = process.env) {
  const wanted = (env.BROWSERS || Object.keys(ENGINES).join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = wanted.filter((name) => !(name in ENGINES));
  if (unknown.length > 0) throw new Error(`BROWSERS: unknown ${unknown.join(', ')}; use ${Object.keys(ENGINES).join(', ')}.`);
  return wanted;
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of one program, or null. An env var that points nowhere is an error, not a fallback. */
export function findBrowser(name) {
  const { env, candidates } = BROWSERS[name];
  const fromEnv = process.env[env];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${env}=${fromEnv} is not an executable file.`);
    return fromEnv;
  }
  return candidates.find(isExecutable) ?? null;
}

/** Every program of `names` (default: all), each a path or null. Never installs anything. */
export function findBrowsers(names = Object.keys(BROWSERS)) {
  return Object.fromEntries(names.map((name) => [name, findBrowser(name)]));
}

export function canInstallWithApt() {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  if (!existsSync('/etc/os-release')) return false;
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const isDebianLike = /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease);
  return isDebianLike && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function apt(args) {
  console.log(`$ apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed with exit code ${result.status}`);
}

function installWithApt(packages) {
  // With their recommended packages (fonts, codecs, GL): the demo test plays
  // audio and video and looks at layout, and this is the set the suite was run with.
  apt(['update']);
  apt(['install', '-y', ...new Set(packages)]);
}

/** Whether dpkg says a Debian package is installed; null where there is no dpkg to ask. */
function debianPackageInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  if (result.error) return null;
  // "install ok installed"; a package never installed reads "unknown ok not-installed".
  return result.status === 0 && result.stdout.trim().split(' ')[2] === 'installed';
}

/**
 * The support packages of `engines` that dpkg says are missing. Only on a
 * machine with dpkg, and only for engines whose programs were found by the
 * search rather than named by an env var (a browser of one's own brings its own codecs).
 */
export function missingSupportPackages(engines) {
  const ownPrograms = (engine) => ENGINES[engine].some((name) => process.env[BROWSERS[name].env]);
  const wanted = engines.filter((engine) => !ownPrograms(engine)).flatMap((engine) => SUPPORT_PACKAGES[engine] ?? []);
  return [...new Set(wanted)].filter((name) => debianPackageInstalled(name) === false);
}

export function explainMissing(names, packages = []) {
  const lines = [];
  if (packages.length > 0) {
    lines.push(
      `Missing Debian packages the browser tests need (codecs and GL that a browser installed without its recommended packages lacks):`,
      `  sudo apt-get install ${packages.join(' ')}`,
    );
  }
  if (names.length === 0) return lines.join('\n');
  lines.push('Missing browsers for the tests:');
  for (const name of names) {
    const { label, env, apt: packages } = BROWSERS[name];
    lines.push(`  - ${label}: install it (Debian/Ubuntu: sudo apt-get install ${packages.join(' ')})`);
    lines.push(`    or point ${env} at its executable.`);
  }
  if (names.some((name) => ENGINES.webkit.includes(name))) {
    lines.push(
      'WebKit runs as WebKitGTK on Linux (Fedora: dnf install webkitgtk6.0 xorg-x11-server-Xvfb; Arch: pacman -S webkitgtk-6.0 xorg-server-xvfb).',
      'Elsewhere, leave it out: BROWSERS=chromium,firefox npm test',
    );
  }
  return lines.join('\n');
}

/**
 * The programs the wanted engines need (default: BROWSERS=, or all three);
 * installs missing ones with apt when root on Debian/Ubuntu, otherwise exits 1.
 */
export function ensureBrowsers(engines = wantedEngines()) {
  const names = [...new Set(engines.flatMap((engine) => ENGINES[engine]))];
  let found = findBrowsers(names);
  let missing = names.filter((name) => !found[name]);
  let packages = missingSupportPackages(engines);
  if ((missing.length > 0 || packages.length > 0) && canInstallWithApt()) {
    installWithApt([...missing.flatMap((name) => BROWSERS[name].apt), ...packages]);
    found = findBrowsers(names);
    missing = names.filter((name) => !found[name]);
    // A browser installed just now may have brought packages of its own the first check missed.
    packages = missingSupportPackages(engines);
  }
  if (missing.length > 0 || packages.length > 0) {
    console.error(explainMissing(missing, packages));
    process.exit(1);
  }
  return found;
}

const isMain = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    for (const [name, file] of Object.entries(ensureBrowsers())) console.log(`${BROWSERS[name].env}=${file}`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
