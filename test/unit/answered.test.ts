// The answered server requests a page remembers (share="page" and "tabs"), so that a second
// member's reply is not sent: bounded, since under resume one stream may answer for hours.

import { expect } from '@open-wc/testing';
import { ANSWERED_KEPT, rememberAnswered } from '../../src/sharing/tab-share.js';

describe('sharing: rememberAnswered', () => {
  it(`keeps the ${ANSWERED_KEPT} most recent ids and forgets the oldest first`, () => {
    const ids = new Set<string>();
    for (let i = 0; i < ANSWERED_KEPT * 4; i++) rememberAnswered(ids, `s${i}`);
    expect(ids.size).to.equal(ANSWERED_KEPT);
    expect(ids.has(`s${ANSWERED_KEPT * 3 - 1}`), 'the oldest forgotten').to.equal(false);
    expect(ids.has(`s${ANSWERED_KEPT * 3}`), 'the oldest kept').to.equal(true);
    expect(ids.has(`s${ANSWERED_KEPT * 4 - 1}`), 'the newest').to.equal(true);
  });
});
