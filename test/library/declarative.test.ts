// The declarative layer (data-* attributes) driven by `bricks-websocket/server`: what a form
// sends reaches a handler, what the library sends is shown, and data-request shows the handler's
// reply or its ReplyError.

import { expect } from '@open-wc/testing';
import { libraryUrl } from 'virtual:library-server';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { layerLoaded } from '../helpers/declarative.js';
import { domUntil } from '../helpers/dom.js';
import { nextEvent, room } from '../helpers/server.js';

// Frames are shown with their events once the layer has loaded in the page (test/helpers/declarative.ts).
before(layerLoaded);

const mounted: BricksWebSocketElement[] = [];

afterEach(() => {
  for (const element of mounted.splice(0)) {
    element.remove();
    element.close();
  }
});

/** An element on the library holding `html`, in the document and open. */
async function mount(html: string): Promise<BricksWebSocketElement> {
  const element = document.createElement('bricks-websocket');
  element.setAttribute('ws-url', libraryUrl);
  element.innerHTML = html;
  mounted.push(element);
  const opened = nextEvent(element, 'open');
  document.body.append(element);
  await opened;
  return element;
}

const $ = <T extends Element = HTMLElement>(root: ParentNode, selector: string) => root.querySelector(selector) as T;

describe('the library drives the declarative layer', () => {
  it('shows what a data-send form sent, as the frame the handler sent back', async () => {
    const element = await mount(`
      <form data-send="echo"><input name="text" value="héllo <b>"><input name="n" value="2"></form>
      <ol data-receive="echo"><template><li><b data-field="text"></b>·<i data-field="n"></i></li></template></ol>`);
    $<HTMLFormElement>(element, 'form').requestSubmit();
    await domUntil(element, () => element.querySelectorAll('li').length === 1, 'the echoed frame in the list');
    expect($(element, 'li').textContent).to.equal('héllo <b>·2');
    expect($(element, 'li b').children.length).to.equal(0, 'data is text, never HTML');
  });

  it('shows a broadcast to a room the element joined with data-request', async () => {
    const news = room('decl');
    const element = await mount(`
      <button type="button" data-request="join" value="${news}">Join</button>
      <output data-receive="headline" data-field="title"></output>
      <span data-state></span>`);
    $<HTMLButtonElement>(element, 'button').click();
    // The button's request took its place in the send queue at the click, and the server handles
    // one client's frames in order: by this request's answer, the client is in the room.
    expect(await element.request('members', news)).to.equal(1);
    element.send('shout', { room: news, type: 'headline', data: { title: 'from the library' } });
    await domUntil(element, () => $(element, 'output').textContent === 'from the library', 'the headline');
    expect($(element, '[data-state]').textContent).to.equal('open');
  });

  it("shows a handler's reply with data-reply, and its ReplyError with data-reply-error", async () => {
    const element = await mount(`
      <button id="ok" type="button" data-request="echo" value="answered">Ask</button>
      <output data-reply="echo"></output>
      <button id="no" type="button" data-request="refuse" value="x">Refuse</button>
      <output id="why" data-reply-error="refuse"></output>
      <output id="code" data-reply-error="refuse" data-field="code"></output>`);
    $<HTMLButtonElement>(element, '#ok').click();
    $<HTMLButtonElement>(element, '#no').click();
    await domUntil(element, () => $(element, '[data-reply]').textContent === 'answered', 'the reply');
    await domUntil(element, () => $(element, '#why').textContent === 'refused', 'the error reply');
    expect($(element, '#code').textContent).to.equal('no');
  });
});
