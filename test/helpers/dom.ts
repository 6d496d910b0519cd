// Waiting for the DOM to show something, by observing it rather than polling on a clock.

import { WAIT_MS } from './server.js';

/** Resolves when `check` holds, re-checking on every change under `root`; rejects after `timeoutMs`. */
export function domUntil(root: Node, check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (!check()) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}
