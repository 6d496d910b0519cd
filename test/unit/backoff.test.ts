// Reconnection delay: min(max, base * 2^n) * (0.5 + random / 2), per issue 3.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import { retryDelay } from '../../src/connection/backoff.js';

/** The ceiling as the issue writes it, in real arithmetic (0 * 2^n is 0 for every n). */
const ceiling = (n: number, base: number, max: number) => (base === 0 ? 0 : Math.min(max, base * 2 ** n));

describe('backoff: retryDelay', () => {
  it('stays within [0.5, 1] * min(max, base * 2^n) for any attempt n, base and cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (n, base, max) => {
          const delay = retryDelay(n, base, max);
          const top = ceiling(n, base, max);
          expect(delay).to.be.at.least(0.5 * top).and.at.most(top);
        },
      ),
    );
  });

  it('is exactly (0.5 + r / 2) * ceiling for a fixed random r', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, r) => {
          const max = 30_000;
          expect(retryDelay(n, base, max, () => r)).to.be.closeTo(ceiling(n, base, max) * (0.5 + r / 2), 1e-9);
        },
      ),
    );
  });

  it('doubles with each attempt until it reaches the cap', () => {
    const half = () => 0; // the lowest jitter: exactly half the ceiling
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, 1000, 30_000, half))).to.deep.equal([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000,
    ]);
  });

  it('caps at max however many attempts have failed, even past 2^1024', () => {
    for (const n of [10, 100, 1023, 1024, 5000]) {
      expect(retryDelay(n, 1000, 30_000, () => 0.999999), String(n)).to.be.within(15_000, 30_000);
    }
  });

  it('gives 0 for a base delay of 0 at any attempt, even past 2^1024', () => {
    for (const n of [0, 10, 1023, 1024, 5000]) {
      expect(retryDelay(n, 0, 30_000, () => 0.5), String(n)).to.equal(0);
    }
  });
});
