// MIME types as pages meet them, for property tests: codecs lists with commas, quoted
// parameters, spaces, `;base64,` look-alikes, nothing at all, and arbitrary text.

import fc from 'fast-check';

const token = fc.stringMatching(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,7}$/);
const quoted = fc.string({ unit: fc.constantFrom('a', '1', ',', ';', ' ', '=', '/', '\\', '"'), maxLength: 12 }).map((s) => JSON.stringify(s));

export const mimeType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'video/webm;codecs=vp8,opus', 'video/webm; codecs="vp8, opus"', 'video/mp4; codecs=avc1.4d002a,mp4a', 'x/y;base64,AAAA', ',', '"', ';base64,'),
  fc
    .tuple(token, token, fc.array(fc.tuple(token, fc.oneof(token, quoted)), { maxLength: 3 }), fc.constantFrom(';', '; ', ' ;'))
    .map(([type, subtype, parameters, separator]) => `${type}/${subtype}${parameters.map(([key, value]) => `${separator}${key}=${value}`).join('')}`),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);
