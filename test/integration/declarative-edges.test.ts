// The declarative layer used as a no-script page author would, at its edges: each test here
// was a defect found by trying to break it (clone limits, script targets, disabled buttons,
// nesting under a subclass, XLink).

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { layerLoaded } from '../helpers/declarative.js';
import { control, nextEvent, nextEvents, room, serverUntil, wsUrl } from '../helpers/server.js';

// Frames are shown with their events once the layer has loaded in the page (test/helpers/declarative.ts).
before(layerLoaded);

const mounted: BricksWebSocketElement[] = [];

afterEach(() => {
  for (const element of mounted.splice(0)) {
    element.remove();
    element.close();
  }
});

/** A new element on a fresh echo room holding `html`. */
function make(html: string, tag = 'bricks-websocket') {
  const name = room('atk');
  const element = document.createElement(tag) as BricksWebSocketElement;
  element.setAttribute('ws-url', wsUrl(name));
  element.innerHTML = html;
  mounted.push(element);
  return { element, name, server: control(name) };
}

/** `make`, appended to `parent`, after the `open` event. */
async function mount(html: string, parent: Element = document.body, tag?: string) {
  const made = make(html, tag);
  const opened = nextEvent(made.element, 'open');
  parent.append(made.element);
  await opened;
  return made;
}

const $ = <T extends Element = HTMLElement>(root: ParentNode, selector: string) => root.querySelector(selector) as T;
const frame = (type: string, data?: unknown) => JSON.stringify({ type, data });

/** Has the server send these frames to the element, and resolves once the element has them all. */
async function push(element: BricksWebSocketElement, name: string, ...frames: string[]) {
  const arrived = nextEvents(element, 'message', frames.length);
  await control(name).send(...frames);
  await arrived;
}

/** One turn of the microtask queue, so MutationObserver callbacks queued before it have run. */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve));

const texts = (root: ParentNode, selector: string) => [...root.querySelectorAll(selector)].map((node) => node.textContent);



describe('declarative edge cases: data-limit forgets clones it did not count', () => {
  // The clones are counted in a map that starts empty when the binding is (re)made, and only
  // while data-limit is set, so clones already in the receiver are never trimmed.
  it('keeps the last N when data-limit is set after clones exist', async () => {
    const { element, name } = await mount('<ol data-receive="n"><template><li data-field="i"></li></template></ol>');
    await push(element, name, ...[1, 2, 3].map((i) => frame('n', { i })));
    $(element, 'ol').setAttribute('data-limit', '2');
    await push(element, name, frame('n', { i: 4 }));
    expect(texts(element, 'li')).to.deep.equal(['3', '4']);
  });

  it('keeps the last N after data-receive is set again to the same value', async () => {
    const { element, name } = await mount('<ol data-receive="n" data-limit="2"><template><li data-field="i"></li></template></ol>');
    await push(element, name, ...[1, 2].map((i) => frame('n', { i })));
    $(element, 'ol').setAttribute('data-receive', 'n');
    await settle();
    await push(element, name, frame('n', { i: 3 }));
    expect(texts(element, 'li')).to.deep.equal(['2', '3']);
  });

  it('keeps the last N after the element is removed and inserted again', async () => {
    const { element, name } = await mount('<ol data-receive="n" data-limit="2" data-insert="prepend"><template><li data-field="i"></li></template></ol>');
    await push(element, name, ...[1, 2].map((i) => frame('n', { i })));
    const closed = nextEvent(element, 'close');
    element.remove();
    await closed;
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    await push(element, name, frame('n', { i: 3 }));
    expect(texts(element, 'li')).to.deep.equal(['3', '2']);
  });

  it('keeps the last N after the receiver leaves the element and comes back', async () => {
    const { element, name } = await mount('<ol data-receive="n" data-limit="2"><template><li data-field="i"></li></template></ol>');
    await push(element, name, ...[1, 2].map((i) => frame('n', { i })));
    const ol = $(element, 'ol');
    const parking = document.createElement('div');
    document.body.append(parking);
    parking.append(ol);
    await settle();
    element.append(ol);
    parking.remove();
    await settle();
    await push(element, name, frame('n', { i: 3 }));
    expect(texts(element, 'li')).to.deep.equal(['2', '3']);
  });

  it('does not remove a clone the page has moved out of the receiver', async () => {
    const { element, name } = await mount('<ol data-receive="n" data-limit="1"><template><li data-field="i"></li></template></ol><ul id="pinned"></ul>');
    await push(element, name, frame('n', { i: 1 }));
    $(element, '#pinned').append($(element, 'ol li'));
    await push(element, name, frame('n', { i: 2 }), frame('n', { i: 3 }));
    expect([texts(element, '#pinned li'), texts(element, 'ol li')]).to.deep.equal([['1'], ['3']]);
  });
});

describe('declarative edge cases: text only, a <script> target runs frame data', () => {
  // A <script> with no text that has not run yet (an empty <script data-receive> in a page's
  // markup, or one in a <template> the page's parser built) runs whatever text it is given.
  // createElement makes the same not-yet-started script that the page's own parser makes
  // (innerHTML would mark it as already started and hide the defect).
  it('a <script data-receive> does not run frame data', async () => {
    (window as { __atkB?: number }).__atkB = undefined;
    const { element, name } = await mount('<p>page</p>');
    const script = document.createElement('script');
    script.setAttribute('data-receive', 'code');
    element.append(script);
    await settle();
    await push(element, name, frame('code', 'window.__atkB = 1'));
    await push(element, name, frame('sync'));
    expect((window as { __atkB?: number }).__atkB).to.equal(undefined);
  });

  it('a <script data-field> in a receiver\'s template does not run frame data', async () => {
    (window as { __atkB2?: number }).__atkB2 = undefined;
    const { element, name } = await mount('<div data-receive="x"><template></template></div>');
    const script = document.createElement('script');
    script.setAttribute('data-field', 'code');
    $<HTMLTemplateElement>(element, 'template').content.append(script);
    await push(element, name, frame('x', { code: 'window.__atkB2 = 1' }));
    await push(element, name, frame('sync'));
    expect((window as { __atkB2?: number }).__atkB2).to.equal(undefined);
  });
});

describe('declarative edge cases: disabled buttons send', () => {
  // #onClick finds the button with closest() and never asks whether it is disabled; a click
  // on the button itself never fires, but one on its content (an icon, a <span>) does.
  it('a click on the content of a disabled data-send button sends nothing', async () => {
    const { element, name } = await mount('<button type="button" data-send="tap" value="1" disabled><span>tap</span></button><button type="button" data-send="ok" value="2">ok</button>');
    $(element, 'span').click();
    $(element, 'button[data-send="ok"]').click();
    await serverUntil(name, (stats) => stats.received.length >= 1, 'the ok frame');
    await push(element, name, frame('sync'));
    expect((await control(name).stats()).received).to.deep.equal([frame('ok', '2')]);
  });

  it('a click on the content of a data-send button in a disabled fieldset sends nothing', async () => {
    const { element, name } = await mount('<fieldset disabled><button type="button" data-send="tap" value="1"><b>tap</b></button></fieldset><button type="button" data-send="ok" value="2">ok</button>');
    $(element, 'b').click();
    $(element, 'button[data-send="ok"]').click();
    await serverUntil(name, (stats) => stats.received.length >= 1, 'the ok frame');
    await push(element, name, frame('sync'));
    expect((await control(name).stats()).received).to.deep.equal([frame('ok', '2')]);
  });
});

describe('declarative edge cases: nesting under another tag', () => {
  // #owns() looks for the nearest ancestor with the host's own tag, so an element of another
  // tag (a subclass defined under its own name) inside it is not seen as a boundary.
  it('an outer <bricks-websocket> leaves the descendants of an inner element of a subclass alone', async () => {
    if (!customElements.get('atk-b-socket')) customElements.define('atk-b-socket', class extends BricksWebSocketElement {});
    const outer = await mount('<div class="wrap"></div>');
    const inner = await mount('<button type="button" data-send="tap" value="in">tap</button><p data-receive="t">inner</p>', $(outer.element, '.wrap'), 'atk-b-socket');
    $(inner.element, 'button').click();
    await serverUntil(inner.name, (stats) => stats.received.length >= 1, 'the inner frame');
    await push(outer.element, outer.name, frame('t', 'outer'));
    expect({ outerSent: (await outer.server.stats()).received, innerText: $(inner.element, 'p').textContent }).to.deep.equal({ outerSent: [], innerText: 'inner' });
  });
});

describe('declarative edge cases: setting a binding again', () => {
  it('setting data-receive again on a playing <audio> keeps its clip', async () => {
    const { element, name } = await mount('<audio data-receive="base64audio"></audio>');
    await push(element, name, frame('base64audio', btoa('clip')));
    const audio = $<HTMLAudioElement>(element, 'audio');
    const src = audio.getAttribute('src');
    audio.setAttribute('data-receive', 'base64audio');
    await settle();
    expect(audio.getAttribute('src')).to.equal(src);
  });
});

describe('declarative edge cases: data-send-when across elements', () => {
  // The newer element's observer sees the button arrive while it is still disabled by the
  // older one, so records nothing; the older one then forgets it and enables it.
  it('a data-send-when="open" button moved to another element that is not open stays disabled', async () => {
    const target = make('<div></div>');
    target.element.removeAttribute('ws-url');
    document.body.append(target.element);
    const source = make('<button type="button" data-send="x" data-send-when="open">x</button>');
    source.element.removeAttribute('ws-url');
    document.body.append(source.element);
    await settle();
    const button = $<HTMLButtonElement>(source.element, 'button');
    expect(button.disabled, 'disabled while idle').to.equal(true);
    $(target.element, 'div').append(button);
    await settle();
    expect([target.element.state, button.disabled]).to.deep.equal(['idle', true]);
  });
});

describe('declarative edge cases: xlink:href', () => {
  // setAttribute('xlink:href') makes an attribute of that name in no namespace, which SVG ignores.
  it('data-field-attr="xlink:href:PATH" sets the XLink href of an SVG link', async () => {
    const { element, name } = await mount('<div data-receive="x"><template><svg><a data-field-attr="xlink:href:u"><text>t</text></a></svg></template></div>');
    await push(element, name, frame('x', { u: 'https://example.com/' }));
    expect($(element, 'svg a').getAttributeNS('http://www.w3.org/1999/xlink', 'href')).to.equal('https://example.com/');
  });
});
