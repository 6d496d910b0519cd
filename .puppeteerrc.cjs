// The tests and the benchmark drive the system's Chromium and Firefox
// (scripts/browsers.mjs), so puppeteer must not download a browser of its own
// when `npm install` runs its install script.
module.exports = { skipDownload: true };
