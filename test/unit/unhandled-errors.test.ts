// No silent errors: an `error` event nobody handled (no listener called preventDefault()) is
// printed with console.error, once per distinct cause; a handled one is not. console.error is
// captured in every test here, so what the element prints is asserted instead of shown.

import { expect } from '@open-wc/testing';
import { BricksWebSocketElement } from '../../src/bricks-websocket.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { captureConsole, type CapturedConsole } from '../helpers/console.js';
import { details, mockUrl, mount, recorded, sameOriginUrl, until, useMockNetwork } from './mock-network.js';

const network = useMockNetwork();

/** A ws-url the element refuses at once, as a page opened from file: makes of "/ws/lobby". */
const FILE_URL = 'file:///ws/lobby';

describe('element: errors nobody handled reach the console', () => {
  let printed: CapturedConsole;

  beforeEach(() => {
    printed = captureConsole('error');
  });

  afterEach(() => {
    printed.restore();
  });

  /** The first argument of each console.error call: the line itself. */
  const lines = () => printed.calls.map((args) => String(args[0]));

  it('makes error cancelable; a listener that calls preventDefault() handled it and nothing is printed', () => {
    const el = mount({ 'ws-url': FILE_URL }); // mount's recorder calls preventDefault()
    const [event] = recorded(el, 'error').map((r) => r.event);
    expect(event.detail.kind).to.equal('url');
    expect(event.cancelable, 'cancelable').to.equal(true);
    expect(event.defaultPrevented).to.equal(true);
    expect(printed.calls).to.deep.equal([]);
  });

  it('prints an error no listener prevented with its kind, its sentence and the element', () => {
    // This recorder only looks: an error a listener saw but did not prevent is still unhandled.
    const el = mount({ 'ws-url': FILE_URL }, { handleErrors: false });
    const [detail] = details<BricksWebSocketErrorDetail>(el, 'error');
    expect(printed.calls).to.have.length(1);
    const [line, element] = printed.calls[0];
    expect(line).to.be.a('string').and.include('<bricks-websocket> url error: ').and.include(detail.message).and.include('preventDefault()');
    expect(element).to.equal(el);
    expect(el.state).to.equal('closed');
  });

  it('prints the underlying exception with it', async () => {
    const boom = new Error('token store unavailable');
    const el = mount({ 'ws-url': sameOriginUrl(), 'with-session': true }, { handleErrors: false, props: { session: () => Promise.reject(boom) } });
    await until(el, 'error');
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include('session error: ');
    expect(printed.calls[0][1]).to.equal(el);
    expect(printed.calls[0][2]).to.equal(boom);
  });

  it('prints a failure that every retry repeats once, not once per attempt', async () => {
    const url = mockUrl();
    network.serve(url, { verifyClient: () => false });
    // mock-socket reports a refused handshake with code 1000, so take 1000 off the stop codes.
    const el = mount({ 'ws-url': url, 'max-retries': '3', 'stop-codes': '1008', 'reconnect-delay': '2', 'reconnect-max-delay': '4' }, { handleErrors: false });
    await until(el, 'close', () => el.state === 'closed');
    expect(details(el, 'error'), 'an error event for every attempt').to.have.length(4);
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include('connection error: ').and.include(url);
  });

  it('prints each distinct cause; after ten, says it stops and prints no more', () => {
    const el = mount({}, { handleErrors: false });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (let i = 1; i <= 12; i++) expect(el.send(`cause-${i}`, cycle)).to.equal(false);
    el.send('cause-1', cycle); // seen before
    expect(details(el, 'error')).to.have.length(13);
    expect(lines()).to.have.length(10);
    expect(lines()[0]).to.include('"cause-1"').and.not.include('no more');
    expect(lines()[9]).to.include('"cause-10"').and.include('; no more are printed)');
  });

  it('counts causes per element: another element with the same problem prints its own', () => {
    mount({ 'ws-url': FILE_URL }, { handleErrors: false });
    mount({ 'ws-url': FILE_URL }, { handleErrors: false });
    expect(lines()).to.have.length(2);
  });

  it('prints an error fired during the upgrade, before the page script could listen', () => {
    // The order of a plain page: the markup, then the element's script (which upgrades it and
    // fails at once on the unusable URL), then the page's own script with its listener.
    const tag = `bricks-websocket-upgraded-${Math.random().toString(36).slice(2)}`;
    const host = document.body.appendChild(document.createElement('div'));
    try {
      host.innerHTML = `<${tag} ws-url="${FILE_URL}"></${tag}>`;
      customElements.define(tag, class extends BricksWebSocketElement {});
      const el = host.firstElementChild as BricksWebSocketElement;
      const late: Event[] = [];
      el.addEventListener('error', (event) => late.push(event));

      expect(late, 'the late listener saw nothing').to.deep.equal([]);
      expect(el.state).to.equal('closed');
      expect(lines()).to.have.length(1);
      expect(lines()[0]).to.include(`<${tag}> url error: `).and.include('file:');
      expect(printed.calls[0][1]).to.equal(el);
    } finally {
      host.remove();
    }
  });
});
