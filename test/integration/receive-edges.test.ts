// The receive path (issue 17) as pages and frameworks use it: when `message` is dispatched,
// what a frame event carries, and text receivers the page has changed.

import { expect } from '@open-wc/testing';
import { html, render } from 'lit';
import { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useElements } from '../helpers/elements.js';
import { layerLoaded } from '../helpers/declarative.js';
import { control, nextEvent, room, wsUrl } from '../helpers/server.js';

// Frames are shown with their events once the layer has loaded in the page (test/helpers/declarative.ts).
before(layerLoaded);

const { make, openElement } = useElements('recv');

/** Sends `frames` and resolves once the element has dispatched the last one's typed event `last`. */
async function deliver(element: HTMLElement, name: string, frames: string[], last: string) {
  const arrived = nextEvent(element, last);
  for (const frame of frames) await control(name).send(frame);
  await arrived;
}

describe('receive path: message listeners', () => {
  it('once, AbortSignal-removed and handleEvent message listeners each get what they asked for', async () => {
    const { element, name } = await openElement();
    const seen: string[] = [];
    const controller = new AbortController();
    element.addEventListener('message', () => seen.push('once'), { once: true });
    element.addEventListener('message', () => seen.push('aborted'), { signal: controller.signal });
    controller.abort();
    element.addEventListener('message', { handleEvent: () => seen.push('object') });
    await deliver(element, name, ['{"type":"a","data":1}', '{"type":"b","data":2}'], 'b');
    expect(seen).to.deep.equal(['once', 'object', 'object']);
  });

  it('a Lit @message binding hears frames (Lit clones its template: the element is upgraded, not new)', async () => {
    const name = room('recv');
    const host = document.createElement('div');
    document.body.append(host);
    const seen: string[] = [];
    render(html`<bricks-websocket ws-url=${wsUrl(name)} @message=${(e: CustomEvent) => seen.push(e.detail.data)}></bricks-websocket>`, host);
    const element = host.firstElementChild as HTMLElement;
    if ((element as any).state !== 'open') await nextEvent(element, 'open');
    await deliver(element, name, ['{"type":"a","data":1}'], 'a');
    host.remove();
    expect(seen).to.deep.equal(['{"type":"a","data":1}']);
  });

  it('a message listener added inside a typed listener hears the next frame, not the current one', async () => {
    const { element, name } = await openElement();
    const seen: string[] = [];
    element.addEventListener('a', () => element.addEventListener('message', (e) => seen.push((e as CustomEvent).detail.data)), { once: true });
    await deliver(element, name, ['{"type":"a","data":1}', '{"type":"b","data":2}'], 'b');
    expect(seen).to.deep.equal(['{"type":"b","data":2}']);
  });

  it('a subclass that listens for message in firstUpdated() hears frames', async () => {
    const heard: string[] = [];
    const hooks: string[] = [];
    class Listening extends BricksWebSocketElement {
      override firstUpdated() {
        hooks.push('firstUpdated');
        this.addEventListener('message', (e) => heard.push((e as CustomEvent).detail.data));
      }
    }
    customElements.define('recv-listening-websocket', Listening);
    const name = room('recv');
    const element = new Listening();
    element.wsUrl = wsUrl(name);
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    try {
      await opened;
      await deliver(element, name, ['{"type":"a","data":1}'], 'a');
    } finally {
      element.remove();
    }
    expect(hooks).to.deep.equal(['firstUpdated']);
    expect(heard).to.deep.equal(['{"type":"a","data":1}']);
  });

  it('a frame that is no envelope: the error says it came as message only where message was dispatched', async () => {
    const { element, name } = await openElement();
    const errors: string[] = [];
    element.addEventListener('error', (e) => errors.push((e as CustomEvent).detail.message));
    const first = nextEvent(element, 'error');
    await control(name).send('[1]');
    await first;
    element.addEventListener('message', () => {});
    const second = nextEvent(element, 'error');
    await control(name).send('[2]');
    await second;
    expect(errors[0], 'no message listener').to.contain('came only as this error (a message listener gets it raw): "[1]"');
    expect(errors[1], 'with one').to.contain('came only as message: "[2]"');
  });

  it('addEventListener with a type that is not a string: converted once, as on any element; too few arguments throw', async () => {
    const { element, name } = await openElement();
    let conversions = 0;
    const type = { toString: () => (conversions++, 'message') };
    const heard: string[] = [];
    element.addEventListener(type as unknown as string, (e: Event) => heard.push((e as CustomEvent).detail.data));
    const plain = document.createElement('div');
    let plainConversions = 0;
    plain.addEventListener({ toString: () => (plainConversions++, 'message') } as unknown as string, () => {});
    expect(conversions, 'conversions').to.equal(plainConversions);
    expect(() => (element.addEventListener as (type: string) => void)('message'), 'one argument').to.throw(TypeError);
    expect(() => element.addEventListener(Symbol('message') as unknown as string, () => {}), 'a symbol').to.throw(TypeError);
    await deliver(element, name, ['{"type":"a","data":1}'], 'a');
    expect(heard).to.deep.equal(['{"type":"a","data":1}']);
  });

  it('the element has no onmessage property a framework could set instead of listening', () => {
    const element = make();
    expect('onmessage' in element, 'onmessage in element').to.equal(false);
  });

  it('message reaches listeners added out of sight (the native addEventListener) to a clone, innerHTML, another document\'s and a template\'s element', async () => {
    const name = room('recv');
    const original = make({ 'ws-url': wsUrl(name) });
    const clone = original.cloneNode(true) as HTMLElement;
    const host = document.createElement('div');
    host.innerHTML = `<bricks-websocket ws-url="${wsUrl(name)}"></bricks-websocket>`;
    const inner = host.firstElementChild as HTMLElement;
    const other = document.implementation.createHTMLDocument('x');
    const foreign = other.createElement('bricks-websocket');
    foreign.setAttribute('ws-url', wsUrl(name));
    const tpl = document.createElement('template');
    tpl.innerHTML = `<bricks-websocket ws-url="${wsUrl(name)}"></bricks-websocket>`;
    const fromTemplate = tpl.content.cloneNode(true).firstChild as HTMLElement;
    const all = [clone, inner, foreign, fromTemplate];
    const heard = all.map(() => [] as string[]);
    all.forEach((el, i) => EventTarget.prototype.addEventListener.call(el, 'message', (e) => heard[i]!.push((e as CustomEvent).detail.data)));
    for (const el of all) {
      const opened = nextEvent(el, 'open');
      document.body.append(el);
      await opened;
    }
    await deliver(all[3]!, name, ['{"type":"a","data":1}'], 'a');
    for (const el of all) el.remove();
    expect(heard.map((h) => h.length)).to.deep.equal([1, 1, 1, 1]);
  });
});

describe('receive path: frame events', () => {
  it('detail of a frame is its data for every JSON value, null when the frame has none', async () => {
    const { element, name } = await openElement();
    const details: unknown[] = [];
    for (const t of ['a', 'b', 'c', 'd', 'e', 'f']) element.addEventListener(t, (e) => details.push((e as CustomEvent).detail));
    await deliver(element, name, ['{"type":"a"}', '{"type":"b","data":null}', '{"type":"c","data":false}', '{"type":"d","data":0}', '{"type":"e","data":""}', '{"type":"f","data":[1]}'], 'f');
    expect(details).to.deep.equal([null, null, false, 0, '', [1]]);
  });

  it('a frame event re-dispatched elsewhere keeps its detail, and initCustomEvent() sets detail as on any CustomEvent', () => {
    const event = new BricksWebSocketFrameEvent('made', 1, 'r1');
    const target = new EventTarget();
    const seen: unknown[] = [];
    target.addEventListener('made', (e) => {
      seen.push((e as CustomEvent).detail);
      // During a dispatch the platform ignores it.
      (e as CustomEvent).initCustomEvent('made', false, false, 'ignored');
    });
    target.dispatchEvent(event);
    target.dispatchEvent(event);
    expect(seen, 'detail at each dispatch').to.deep.equal([1, 1]);
    const plain = new CustomEvent('made', { detail: 1 });
    for (const e of [event, plain]) e.initCustomEvent('made', true, false, 2);
    expect([event.detail, event.bubbles], 'after initCustomEvent').to.deep.equal([plain.detail, plain.bubbles]);
    for (const e of [event, plain]) e.initCustomEvent('made');
    expect(event.detail, 'initCustomEvent without detail').to.equal(plain.detail);
  });

  it('a frame event keeps id an own property: Object.keys, spread and JSON of it show the id', () => {
    const event = new BricksWebSocketFrameEvent('made', 1, 'r1');
    expect(Object.keys(event)).to.deep.equal([...Object.keys(new CustomEvent('made')), 'id']);
    expect({ ...event }.id).to.equal('r1');
    expect(JSON.parse(JSON.stringify(event)).id).to.equal('r1');
  });
});

describe('receive path: shared members decide message each on their own', () => {
  it('share="page": a member with a message listener hears frames, one without dispatches none, and a late listener hears from then on', async () => {
    const name = room('recv');
    const [heard, quiet] = [make({ 'ws-url': wsUrl(name), share: 'page' }), make({ 'ws-url': wsUrl(name), share: 'page' })];
    const log: string[] = [];
    heard.addEventListener('message', (e) => log.push(`heard ${(e as CustomEvent).detail.data}`));
    // A capturing listener on an ancestor sees what each member dispatches.
    const seenAbove: EventTarget[] = [];
    const above = (e: Event) => e.type === 'message' && seenAbove.push(e.target!);
    document.addEventListener('message', above, true);
    try {
      const opened = Promise.all([nextEvent(heard, 'open'), nextEvent(quiet, 'open')]);
      document.body.append(heard, quiet);
      await opened;
      await deliver(quiet, name, ['{"type":"a","data":1}'], 'a');
      expect(seenAbove.map((t) => (t === heard ? 'heard' : t === quiet ? 'quiet' : (t as Element).outerHTML)), 'dispatched message').to.deep.equal(['heard']);
      quiet.addEventListener('message', (e) => log.push(`quiet ${(e as CustomEvent).detail.data}`));
      await deliver(quiet, name, ['{"type":"b","data":2}'], 'b');
      expect(log).to.deep.equal(['heard {"type":"a","data":1}', 'heard {"type":"b","data":2}', 'quiet {"type":"b","data":2}']);
    } finally {
      document.removeEventListener('message', above, true);
    }
  });
});

describe('receive path: text receivers the page has changed', () => {
  it('shows each frame after the page replaced, split, emptied or filled the receiver with an element', async () => {
    const { element, name } = await openElement();
    element.innerHTML = '<span data-receive="t">start</span><ul data-receive="l"><template><li><b data-field="n">?</b></li></template></ul>';
    const span = element.querySelector('span')!;
    const shown: string[] = [];
    const send = async (text: string) => {
      await deliver(element, name, [JSON.stringify({ type: 't', data: text })], 't');
      shown.push(span.textContent!);
    };
    await send('one');
    const own = span.firstChild!;
    span.firstChild!.replaceWith('page');
    await send('two');
    (span.firstChild as Text).splitText(1);
    await send('three');
    span.replaceChildren();
    await send('four');
    span.replaceChildren(document.createElement('i'));
    await send('five');
    span.replaceChildren(own);
    await send('');
    await send('six');
    expect(shown).to.deep.equal(['one', 'two', 'three', 'four', 'five', '', 'six']);
    expect(span.childNodes.length, 'one text node').to.equal(1);
    await deliver(element, name, ['{"type":"l","data":{"n":1}}'], 'l');
    await deliver(element, name, ['{"type":"l","data":{"n":0}}'], 'l');
    expect([...element.querySelectorAll('li')].map((li) => li.textContent)).to.deep.equal(['1', '0']);
  });
});
