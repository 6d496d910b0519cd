// Static files: the `demo/` and `dist/` folders of the server's root, nothing else (no dotfiles,
// nothing outside those folders); `/` redirects to `/demo/`.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './http.mjs';

// The only folders of `root` served over HTTP: the demo pages and the build they load.
const SERVED_FOLDERS = new Set(['demo', 'dist']);

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export async function serveStatic(root, req, res, pathname) {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'static files accept GET and HEAD');
  if (pathname === '/') return redirect(res, '/demo/');

  const filePath = await resolveServed(root, pathname);
  const info = filePath && (await stat(filePath).catch(() => null));
  if (!info) throw new HttpError(404, `Not found: ${pathname}`);
  if (info.isDirectory()) {
    if (!pathname.endsWith('/')) return redirect(res, `${pathname}/`);
    return serveStatic(root, req, res, `${pathname}index.html`);
  }

  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(filePath).on('error', () => res.destroy()).pipe(res);
}

/**
 * Maps a URL path to a file in one of the served folders, or null: the rest of the
 * repository (sources, `.git`, `node_modules`) is never served, whoever asks. Judged on the
 * decoded path, so `..%2f` is a `..` like any other; a dot segment or a dotfile anywhere,
 * a backslash, or a symlink that leads out of its folder is not found either.
 */
async function resolveServed(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'Malformed URL');
  }
  if (decoded.includes('\0')) throw new HttpError(400, 'Malformed URL');
  const [first, ...rest] = decoded.split('/').slice(1);
  if (!SERVED_FOLDERS.has(first) || decoded.includes('\\') || rest.some((segment) => segment.startsWith('.'))) return null;
  const folder = await realpath(path.join(root, first)).catch(() => null);
  if (!folder) return null;
  const real = await realpath(path.join(folder, ...rest)).catch(() => null);
  return real && (real === folder || real.startsWith(folder + path.sep)) ? real : null;
}

function redirect(res, location) {
  res.writeHead(302, { Location: location, 'Content-Length': 0 });
  res.end();
}
