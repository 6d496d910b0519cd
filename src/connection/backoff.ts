/**
 * Reconnection delay with exponential backoff and jitter:
 * `min(max, base * 2^n) * (0.5 + random / 2)`, n counting from 0 after each successful open.
 * The jitter keeps a thousand clients from coming back in the same millisecond.
 */
export function retryDelay(n: number, base: number, max: number, random: () => number = Math.random): number {
  // 2 ** n overflows to Infinity after 1023 failures; 0 * Infinity would be NaN.
  const ceiling = base > 0 ? Math.min(max, base * 2 ** n) : 0;
  return Math.max(0, ceiling * (0.5 + random() / 2));
}
