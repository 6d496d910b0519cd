// Generates custom-elements.json from the JSDoc in src/ (`npm run analyze`).
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  outdir: '.',
  litelement: true,
};
