// Generates custom-elements.json from the JSDoc in src/ (`npm run analyze`).
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  outdir: '.',
  litelement: true,
  // package.json already names the manifest; a freshness check writing elsewhere must not rewrite it.
  packagejson: false,
};
