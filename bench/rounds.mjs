// How every comparison of `npm run bench` runs and sums up: contenders interleaved, A B A B,
// after one unmeasured warm-up, and medians of the rounds. Shared by the browser measurements
// (bench/run.mjs) and the server ones (bench/server/measure.mjs).

/** The median of the values that are not null, or null when there are none. */
export const median = (values) => {
  const sorted = values.filter((v) => v != null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs `once(contender, round)` for every contender in every round, interleaved, after a warm-up round. */
export async function interleaved(contenders, once, { warmup = once, rounds }) {
  for (const c of contenders) await warmup(c, -1);
  const runs = Object.fromEntries(contenders.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of contenders) runs[c].push(await once(c, round));
  }
  return runs;
}
