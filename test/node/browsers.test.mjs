// What `npm test` installs or asks for before the browser tests (scripts/browsers.mjs): a machine
// whose browsers came without their recommended packages must get the codecs the tests need,
// or a message that names them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUPPORT_PACKAGES, explainMissing, missingSupportPackages } from '../../scripts/browsers.mjs';

describe('the packages the browser tests need beside the browsers', () => {
  test('WebKit names the GStreamer plugins its MediaRecorder needs', () => {
    assert.deepEqual(
      [...SUPPORT_PACKAGES.webkit].sort(),
      ['gstreamer1.0-gl', 'gstreamer1.0-libav', 'gstreamer1.0-plugins-bad'],
    );
  });

  test('an engine whose programs are named by env vars is not checked for Debian packages', () => {
    const saved = process.env.WEBKIT_DRIVER_PATH;
    process.env.WEBKIT_DRIVER_PATH = '/opt/webkit/WebKitWebDriver';
    try {
      assert.deepEqual(missingSupportPackages(['webkit']), []);
    } finally {
      if (saved === undefined) delete process.env.WEBKIT_DRIVER_PATH;
      else process.env.WEBKIT_DRIVER_PATH = saved;
    }
  });

  test('a missing package is named with the command that installs it', () => {
    const message = explainMissing([], ['gstreamer1.0-libav', 'gstreamer1.0-gl']);
    assert.match(message, /sudo apt-get install gstreamer1\.0-libav gstreamer1\.0-gl$/m);
    assert.doesNotMatch(message, /Missing browsers/);
  });
});
