// The declarative layer (issue 16): descendants that send and show frames through data-*
// attributes, against the real ws server, in real browsers.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { layerLoaded } from '../helpers/declarative.js';
import { domUntil } from '../helpers/dom.js';
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

/** A new element on a fresh echo room holding `html`; appended unless `attach` is false. */
function make(html: string, attach = true) {
  const name = room('decl');
  const element = document.createElement('bricks-websocket');
  element.setAttribute('ws-url', wsUrl(name));
  element.innerHTML = html;
  mounted.push(element);
  if (attach) document.body.append(element);
  return { element, name, server: control(name) };
}

/** `make`, after the `open` event. */
async function mount(html: string) {
  const made = make(html, false);
  const opened = nextEvent(made.element, 'open');
  document.body.append(made.element);
  await opened;
  return made;
}

const $ = <T extends Element = HTMLElement>(root: ParentNode, selector: string) => root.querySelector(selector) as T;
const frame = (type: string, data?: unknown) => JSON.stringify({ type, data });
const errorDetail = (event: Event) => (event as CustomEvent<BricksWebSocketErrorDetail>).detail;

/** Has the server send these raw frames to the element, and resolves once the element has them all. */
async function push(element: BricksWebSocketElement, name: string, ...frames: string[]) {
  const arrived = nextEvents(element, 'message', frames.length);
  await control(name).send(...frames);
  await arrived;
}

/** The text frames the server received from the room, once there are `count`. */
const received = (name: string, count: number) =>
  serverUntil(name, (stats) => stats.received.length >= count, `${count} frames`).then((stats) => stats.received);

/** One turn of the microtask queue and the observer callbacks queued before it. */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve));

/** Collects `error` details until stopped. */
function collectErrors(element: HTMLElement) {
  const errors: BricksWebSocketErrorDetail[] = [];
  const listener = (event: Event) => errors.push(errorDetail(event));
  element.addEventListener('error', listener);
  return errors;
}

describe('data-receive: text', () => {
  it('sets textContent: a string as is, a number or boolean as text, an object or array as JSON, null as nothing', async () => {
    const { element, name } = await mount('<p data-receive="v"></p>');
    const p = $(element, 'p');
    const shown: string[] = [];
    for (const value of ['hello', 42, true, { a: [1, 'x'] }, [1, 2], null]) {
      await push(element, name, frame('v', value));
      shown.push(p.textContent!);
    }
    expect(shown).to.deep.equal(['hello', '42', 'true', '{"a":[1,"x"]}', '[1,2]', '']);
  });

  it('picks a property path with data-field, and leaves the text when the path is missing', async () => {
    const { element, name } = await mount('<b data-receive="chat" data-field="from">nobody</b><i data-receive="chat" data-field="meta.at"></i><u data-receive="chat" data-field="list.1"></u>');
    await push(element, name, frame('chat', { from: 'ana', meta: { at: 1700000000000 }, list: ['a', 'b'] }));
    expect([$(element, 'b').textContent, $(element, 'i').textContent, $(element, 'u').textContent]).to.deep.equal(['ana', '1700000000000', 'b']);
    await push(element, name, frame('chat', { text: 'no from' }));
    expect($(element, 'b').textContent).to.equal('ana');
  });

  it('shows only frames of its type, and any number of receivers of one type', async () => {
    const { element, name } = await mount('<p id="a" data-receive="one"></p><p id="b" data-receive="one"></p><p id="c" data-receive="two">-</p>');
    await push(element, name, frame('one', 'x'));
    expect([$(element, '#a').textContent, $(element, '#b').textContent, $(element, '#c').textContent]).to.deep.equal(['x', 'x', '-']);
  });

  it('receives frames sent through the element in echo mode, and still fires the event', async () => {
    const { element } = await mount('<output data-receive="text"></output>');
    const event = nextEvent<CustomEvent>(element, 'text');
    element.sendText('round trip');
    expect((await event).detail).to.equal('round trip');
    expect($(element, 'output').textContent).to.equal('round trip');
  });
});

describe('data-receive with a template', () => {
  const chat = `<ol data-receive="chat" %s><template><li><b data-field="from">someone</b> <span data-field="text"></span> <a data-field-attr="href:link title:from">link</a></li></template></ol>`;

  it('appends a clone per frame, with data-field text and data-field-attr attributes', async () => {
    const { element, name } = await mount(chat.replace('%s', ''));
    await push(element, name, frame('chat', { from: 'ana', text: 'hi', link: 'https://example.com/a' }), frame('chat', { text: 'anonymous', link: '/relative' }));
    const items = [...element.querySelectorAll('li')];
    expect(items.map((li) => li.textContent)).to.deep.equal(['ana hi link', 'someone anonymous link']);
    expect(items.map((li) => li.querySelector('a')!.getAttribute('href'))).to.deep.equal(['https://example.com/a', '/relative']);
    expect(items[0]!.querySelector('a')!.title).to.equal('ana');
    expect(element.querySelector('ol > template')).to.not.equal(null);
  });

  it('prepends with data-insert="prepend"', async () => {
    const { element, name } = await mount(chat.replace('%s', 'data-insert="prepend"'));
    await push(element, name, frame('chat', { text: '1' }), frame('chat', { text: '2' }), frame('chat', { text: '3' }));
    expect([...element.querySelectorAll('li [data-field="text"]')].map((n) => n.textContent)).to.deep.equal(['3', '2', '1']);
  });

  it('keeps the last N clones with data-limit, also when a clone is several nodes', async () => {
    const { element, name } = await mount('<div data-receive="n" data-limit="2"><template><dt data-field="k"></dt><dd data-field="v"></dd></template></div>');
    await push(element, name, ...[1, 2, 3, 4].map((i) => frame('n', { k: `k${i}`, v: `v${i}` })));
    const div = $(element, 'div');
    expect([...div.querySelectorAll('dt, dd')].map((n) => n.textContent)).to.deep.equal(['k3', 'v3', 'k4', 'v4']);
    expect(div.querySelector('template')).to.not.equal(null);
  });

  it('with data-field on the receiver, resolves the clone\'s fields in that part of the data', async () => {
    const { element, name } = await mount('<ul data-receive="presence" data-field="who"><template><li data-field="name"></li></template></ul>');
    await push(element, name, frame('presence', { who: { name: 'bo' } }));
    expect($(element, 'li').textContent).to.equal('bo');
  });
});

describe('data-receive on <audio> and <video>', () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
  const base64 = btoa(String.fromCharCode(...bytes));

  async function blobAt(url: string) {
    const blob = await (await fetch(url)).blob();
    return { type: blob.type, bytes: [...new Uint8Array(await blob.arrayBuffer())] };
  }

  it('plays a base64audio clip from an object URL of the decoded bytes, audio/webm by default', async () => {
    const { element, name } = await mount('<audio data-receive="base64audio"></audio>');
    await push(element, name, frame('base64audio', base64));
    const audio = $<HTMLAudioElement>(element, 'audio');
    expect(audio.getAttribute('src')).to.match(/^blob:/);
    expect(await blobAt(audio.src)).to.deep.equal({ type: 'audio/webm', bytes: [...bytes] });
  });

  it('plays a base64video clip in a <video>, with the MIME type from data-type', async () => {
    const { element, name } = await mount('<video data-receive="base64video" data-type="video/mp4"></video>');
    await push(element, name, frame('base64video', base64));
    expect((await blobAt($<HTMLVideoElement>(element, 'video').src)).type).to.equal('video/mp4');
  });

  it('revokes the previous object URL when the next clip replaces it', async () => {
    const { element, name } = await mount('<audio data-receive="base64audio"></audio>');
    const audio = $<HTMLAudioElement>(element, 'audio');
    await push(element, name, frame('base64audio', base64));
    const first = audio.src;
    await push(element, name, frame('base64audio', btoa('second')));
    expect(audio.src).to.not.equal(first);
    expect((await blobAt(audio.src)).bytes).to.deep.equal([...new TextEncoder().encode('second')]);
    let failed = false;
    await fetch(first).catch(() => (failed = true));
    expect(failed, 'the first URL no longer loads').to.equal(true);
  });

  it('reports a clip that is not base64 as an error of kind frame and keeps the player as it was', async () => {
    const { element, name } = await mount('<audio data-receive="base64audio"></audio>');
    const failed = nextEvents(element, 'error', 2);
    await push(element, name, frame('base64audio', '%% not base64 %%'), frame('base64audio', { data: base64 }));
    expect((await failed).map((event) => errorDetail(event).kind)).to.deep.equal(['frame', 'frame']);
    expect(errorDetail((await failed)[0]!).message).to.match(/base64audio.*<audio>/);
    expect($(element, 'audio').hasAttribute('src')).to.equal(false);
  });
});

describe('data-state', () => {
  it('shows the current state and follows every change', async () => {
    const { element } = make('<span data-state></span>', false);
    element.removeAttribute('ws-url');
    document.body.append(element);
    const span = $(element, 'span');
    expect(span.textContent).to.equal('idle');
    const seen: string[] = [];
    const watcher = new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) seen.push(node.textContent!);
    });
    watcher.observe(span, { childList: true, characterData: true, subtree: true });
    const opened = nextEvent(element, 'open');
    element.wsUrl = wsUrl(room());
    await opened;
    expect(span.textContent).to.equal('open');
    const closed = nextEvent(element, 'close');
    element.close();
    await closed;
    await settle();
    watcher.disconnect();
    expect(span.textContent).to.equal('closed');
    expect(seen).to.deep.equal(['connecting', 'open', 'closing', 'closed']);
  });
});

describe('later-added descendants', () => {
  it('take part like the ones that were there from the start', async () => {
    const { element, name } = await mount('<p>static</p>');
    const box = document.createElement('section');
    box.innerHTML = '<span data-state></span><b data-receive="late"></b><form data-send="text"><input name="text"></form><button type="button" data-send="tap" value="1">tap</button>';
    element.append(box);
    await settle();
    expect($(box, 'span').textContent).to.equal('open');
    await push(element, name, frame('late', 'arrived'));
    expect($(box, 'b').textContent).to.equal('arrived');
    $<HTMLInputElement>(box, 'input').value = 'from a late form';
    $<HTMLFormElement>(box, 'form').requestSubmit();
    $(box, 'button').click();
    expect(await received(name, 2)).to.deep.equal([frame('text', 'from a late form'), frame('tap', '1')]);
  });

  it('follow a changed data-receive, and stop when it is removed or the node leaves', async () => {
    const { element, name } = await mount('<p data-receive="a"></p><i data-receive="a"></i>');
    const p = $(element, 'p');
    p.setAttribute('data-receive', 'b');
    $(element, 'i').remove();
    await settle();
    await push(element, name, frame('a', 'A'), frame('b', 'B'));
    expect(p.textContent).to.equal('B');
    p.removeAttribute('data-receive');
    await settle();
    await push(element, name, frame('b', 'again'));
    expect(p.textContent).to.equal('B');
  });

  it('keep their binding when moved inside the element', async () => {
    const { element, name } = await mount('<div id="one"><p data-receive="m"></p></div><div id="two"></div>');
    $(element, '#two').append($(element, 'p'));
    await settle();
    await push(element, name, frame('m', 'moved'));
    expect($(element, '#two p').textContent).to.equal('moved');
  });
});

describe('nested elements', () => {
  it('a descendant belongs to its nearest <bricks-websocket>', async () => {
    const outer = await mount('<p id="o" data-receive="t"></p><span id="os" data-state></span><div class="wrap"></div>');
    const innerName = room('decl-inner');
    const inner = document.createElement('bricks-websocket');
    inner.innerHTML = '<p id="i" data-receive="t"></p><span id="is" data-state></span><form data-send="text"><input name="text"></form>';
    $(outer.element, '.wrap').append(inner);
    expect($(inner, '#is').textContent).to.equal('idle');
    const opened = nextEvent(inner, 'open');
    inner.wsUrl = wsUrl(innerName);
    await opened;
    expect([$(outer.element, '#os').textContent, $(inner, '#is').textContent]).to.deep.equal(['open', 'open']);

    await push(outer.element, outer.name, frame('t', 'outer'));
    await push(inner, innerName, frame('t', 'inner'));
    expect([$(outer.element, '#o').textContent, $(inner, '#i').textContent]).to.deep.equal(['outer', 'inner']);

    $<HTMLInputElement>(inner, 'input').value = 'via inner';
    $<HTMLFormElement>(inner, 'form').requestSubmit();
    expect(await received(innerName, 1)).to.deep.equal([frame('text', 'via inner')]);
    expect((await outer.server.stats()).received).to.deep.equal([]);

    outer.element.close();
    await nextEvent(outer.element, 'close');
    expect([$(outer.element, '#os').textContent, $(inner, '#is').textContent]).to.deep.equal(['closed', 'open']);
  });
});

describe('data-send on forms', () => {
  it('sends a one-field form\'s value exactly as sendText() does, without navigating, and resets the form', async () => {
    const { element, name } = await mount('<form data-send="text"><input name="text"><button>Send</button></form>');
    const form = $<HTMLFormElement>(element, 'form');
    $<HTMLInputElement>(form, 'input').value = 'typed';
    let prevented: boolean | undefined;
    const check = (event: Event) => (prevented = event.defaultPrevented);
    document.addEventListener('submit', check);
    try {
      $(form, 'button').click();
    } finally {
      document.removeEventListener('submit', check);
    }
    expect(prevented, 'the submission was cancelled').to.equal(true);
    expect($<HTMLInputElement>(form, 'input').value).to.equal('');
    element.sendText('typed');
    const [fromForm, fromSendText] = await received(name, 2);
    expect(fromForm).to.equal(fromSendText);
    expect(fromForm).to.equal('{"type":"text","data":"typed"}');
  });

  it('sends an object for several fields, a repeated name as an array', async () => {
    const { element, name } = await mount(`<form data-send="post">
      <input name="to" value="ana"><textarea name="body">hi</textarea>
      <input type="checkbox" name="tag" value="a" checked><input type="checkbox" name="tag" value="b"><input type="checkbox" name="tag" value="c" checked>
    </form>`);
    $<HTMLFormElement>(element, 'form').requestSubmit();
    expect(await received(name, 1)).to.deep.equal([frame('post', { to: 'ana', body: 'hi', tag: ['a', 'c'] })]);
  });

  it('sends nothing for an empty one-field form', async () => {
    const { element, name } = await mount('<form data-send="text"><input name="text"></form>');
    const form = $<HTMLFormElement>(element, 'form');
    form.requestSubmit();
    $<HTMLInputElement>(form, 'input').value = 'second';
    form.requestSubmit();
    // Frames arrive in order, so a frame from the first submit would come first.
    expect(await received(name, 1)).to.deep.equal([frame('text', 'second')]);
  });

  it('refuses a form with a file input with an error of kind send that names the field', async () => {
    const { element, name } = await mount('<form data-send="post"><input name="text" value="x"><input type="file" name="photo"></form>');
    const failed = nextEvent(element, 'error');
    $<HTMLFormElement>(element, 'form').requestSubmit();
    const detail = errorDetail(await failed);
    expect(detail.kind).to.equal('send');
    expect(detail.message).to.include('"photo"');
    expect($<HTMLInputElement>(element, 'input[name=text]').value, 'the form keeps its input').to.equal('x');
    element.send('after');
    expect(await received(name, 1)).to.deep.equal([frame('after')]);
  });

  it('queues sends while the element is closed, resets the form, and sends them in order on open', async () => {
    const { element, name } = await mount('<form data-send="text"><input name="text"></form>');
    const closed = nextEvent(element, 'close');
    element.close();
    await closed;
    expect(element.state).to.equal('closed');
    const form = $<HTMLFormElement>(element, 'form');
    for (const text of ['one', 'two']) {
      $<HTMLInputElement>(form, 'input').value = text;
      form.requestSubmit();
      expect($<HTMLInputElement>(form, 'input').value).to.equal('');
    }
    expect(element.queued).to.equal(2);
    element.connect();
    expect(await received(name, 2)).to.deep.equal([frame('text', 'one'), frame('text', 'two')]);
  });

  it('does not reset the form when the frame could not be queued', async () => {
    const { element } = make('<form data-send="text"><input name="text" value="kept"></form>', false);
    element.removeAttribute('ws-url');
    element.queueLimit = 0;
    document.body.append(element);
    const failed = nextEvent(element, 'error');
    $<HTMLFormElement>(element, 'form').requestSubmit();
    expect(errorDetail(await failed).kind).to.equal('queue-full');
    expect($<HTMLInputElement>(element, 'input').value).to.equal('kept');
  });

  it('leaves a submission a page listener cancelled to the page', async () => {
    const { element, name } = await mount('<form data-send="text"><input name="text" value="no"></form>');
    const form = $<HTMLFormElement>(element, 'form');
    form.addEventListener('submit', (event) => event.preventDefault(), { once: true });
    form.requestSubmit();
    $<HTMLInputElement>(form, 'input').value = 'yes';
    form.requestSubmit();
    expect(await received(name, 1)).to.deep.equal([frame('text', 'yes')]);
  });

  it('reports an empty data-send as an error of kind send', async () => {
    const { element } = await mount('<form data-send=""><input name="text" value="x"></form>');
    const failed = nextEvent(element, 'error');
    $<HTMLFormElement>(element, 'form').requestSubmit();
    expect(errorDetail(await failed)).to.include({ kind: 'send' });
  });
});

describe('data-send on buttons', () => {
  it('sends the value of a button outside a form, or of a type="button" inside one, and a submit button submits its form', async () => {
    const { element, name } = await mount(`
      <button id="free" data-send="vote" value="up">Up</button>
      <button id="novalue" data-send="ping">Ping</button>
      <form data-send="text"><input name="text" value="from the form">
        <button id="inside" type="button" data-send="vote" value="down">Down</button>
        <button id="submit" data-send="ignored" value="x">Submit</button>
      </form>`);
    for (const id of ['free', 'novalue', 'inside', 'submit']) $(element, `#${id}`).click();
    expect(await received(name, 4)).to.deep.equal([frame('vote', 'up'), '{"type":"ping"}', frame('vote', 'down'), frame('text', 'from the form')]);
  });

  it('reacts to a click on a child of the button', async () => {
    const { element, name } = await mount('<button data-send="go" value="v"><span>icon</span></button>');
    $(element, 'span').click();
    expect(await received(name, 1)).to.deep.equal([frame('go', 'v')]);
  });
});

describe('data-send-when="open"', () => {
  it('disables forms and buttons unless open, and enables only what it disabled', async () => {
    const { element, name } = make(`
      <form data-send="text" data-send-when="open"><input name="text"><input name="off" disabled><button>Send</button></form>
      <button id="b" type="button" data-send="tap" data-send-when="open">Tap</button>
      <button id="free" type="button" data-send="tap2">Always</button>`, false);
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    const controls = () => [...element.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')].map((c) => c.disabled);
    expect(element.state).to.equal('connecting');
    expect(controls()).to.deep.equal([true, true, true, true, false]);
    await opened;
    expect(controls()).to.deep.equal([false, true, false, false, false]);

    const closed = nextEvent(element, 'close');
    element.close();
    await closed;
    expect(controls()).to.deep.equal([true, true, true, true, false]);

    // Held back while closed, with an error rather than a silent drop.
    const failed = nextEvent(element, 'error');
    $<HTMLInputElement>(element, 'input').value = 'x';
    $<HTMLFormElement>(element, 'form').requestSubmit();
    expect(errorDetail(await failed)).to.include({ kind: 'send' });
    expect(element.queued).to.equal(0);

    const reopened = nextEvent(element, 'open');
    element.connect();
    await reopened;
    expect(controls()).to.deep.equal([false, true, false, false, false]);
    $(element, '#b').click();
    expect(await received(name, 1)).to.deep.equal([frame('tap')]);
  });

  it('gives controls back when the attribute is removed', async () => {
    const { element } = make('<button type="button" data-send="t" data-send-when="open">x</button>', false);
    element.removeAttribute('ws-url');
    document.body.append(element);
    const button = $<HTMLButtonElement>(element, 'button');
    expect(button.disabled).to.equal(true);
    button.removeAttribute('data-send-when');
    await settle();
    expect(button.disabled).to.equal(false);
  });
});

/** A stand-in for request() with promises the test settles, to test the layer's side of data-request alone. */
function fakeRequest(element: BricksWebSocketElement) {
  const calls: Array<{ type: string; data: unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];
  (element as unknown as { request: unknown }).request = (type: string, data?: unknown) =>
    new Promise((resolve, reject) => calls.push({ type, data, resolve, reject }));
  return calls;
}

const replyError = (message: string, code?: string, data?: unknown) => Object.assign(new Error(message), { name: 'ReplyError', code, data });

describe('data-request: the layer\'s side (request() stood in for)', () => {
  it('requests with the form\'s data, is aria-busy until the reply, shows it in data-reply and resets the form', async () => {
    const { element } = await mount(`<form data-request="lookup"><input name="q"></form>
      <output data-reply="lookup" data-field="name"></output><p data-reply-error="lookup">old error</p>`);
    const calls = fakeRequest(element);
    const form = $<HTMLFormElement>(element, 'form');
    $<HTMLInputElement>(form, 'input').value = 'ana';
    form.requestSubmit();
    expect(calls.map(({ type, data }) => ({ type, data }))).to.deep.equal([{ type: 'lookup', data: 'ana' }]);
    expect(form.getAttribute('aria-busy')).to.equal('true');
    expect($<HTMLInputElement>(form, 'input').value, 'kept until the reply').to.equal('ana');
    calls[0]!.resolve({ name: 'Ana' });
    await domUntil(element, () => !form.hasAttribute('aria-busy'), 'aria-busy to go');
    expect($(element, 'output').textContent).to.equal('Ana');
    expect($(element, 'p').textContent, 'a success clears the error text').to.equal('');
    expect($<HTMLInputElement>(form, 'input').value).to.equal('');
  });

  it('shows a failure in data-reply-error: the message as text, fields in a template', async () => {
    const { element } = await mount(`<button data-request="lookup" value="x">Look</button>
      <p data-reply-error="lookup"></p><ul data-reply-error="lookup"><template><li><b data-field="code"></b>: <i data-field="message"></i></li></template></ul>`);
    const calls = fakeRequest(element);
    const button = $(element, 'button');
    button.click();
    expect(button.getAttribute('aria-busy')).to.equal('true');
    calls[0]!.reject(replyError('not found', 'missing'));
    await domUntil(element, () => !button.hasAttribute('aria-busy'), 'aria-busy to go');
    expect($(element, 'p').textContent).to.equal('not found');
    expect($(element, 'li').textContent).to.equal('missing: not found');
    button.click();
    calls[1]!.reject(new DOMException('no reply in time', 'TimeoutError'));
    await domUntil(element, () => element.querySelectorAll('li').length === 2, 'a second error');
    expect(element.querySelectorAll('li')[1]!.textContent).to.equal('TimeoutError: no reply in time');
  });

  it('reports a failure nothing shows as an error of kind send', async () => {
    const { element } = await mount('<button data-request="lookup">Look</button>');
    const calls = fakeRequest(element);
    $(element, 'button').click();
    const failed = nextEvent(element, 'error');
    calls[0]!.reject(replyError('failed', 'fail'));
    const detail = errorDetail(await failed);
    expect(detail.kind).to.equal('send');
    expect(detail.message).to.match(/data-request="lookup" failed: failed\. .*data-reply-error="lookup"/);
  });

  it('keeps aria-busy while any request of the node is in flight', async () => {
    const { element } = await mount('<button data-request="slow">Go</button>');
    const calls = fakeRequest(element);
    const button = $(element, 'button');
    button.click();
    button.click();
    calls[0]!.resolve(1);
    await settle();
    await settle();
    expect(button.getAttribute('aria-busy')).to.equal('true');
    calls[1]!.resolve(2);
    await domUntil(element, () => !button.hasAttribute('aria-busy'), 'aria-busy to go');
  });
});

describe('data-request against the server (needs request() and the echo server\'s replies)', () => {
  it('shows the reply of an echo request in data-reply', async () => {
    const { element } = await mount('<form data-request="echo"><input name="q"></form><output data-reply="echo"></output>');
    const form = $<HTMLFormElement>(element, 'form');
    $<HTMLInputElement>(form, 'input').value = 'ping me';
    form.requestSubmit();
    expect(form.getAttribute('aria-busy')).to.equal('true');
    await domUntil(element, () => $(element, 'output').textContent === 'ping me', 'the reply');
    expect(form.hasAttribute('aria-busy')).to.equal(false);
    expect($<HTMLInputElement>(form, 'input').value).to.equal('');
  });

  it('shows an error reply in data-reply-error', async () => {
    const { element } = await mount('<button data-request="fail" value="x">Fail</button><p data-reply-error="fail" data-field="code"></p><p id="m" data-reply-error="fail"></p>');
    const button = $(element, 'button');
    button.click();
    await domUntil(element, () => $(element, '#m').textContent === 'failed', 'the error reply');
    expect($(element, 'p').textContent).to.equal('fail');
    expect(button.hasAttribute('aria-busy')).to.equal(false);
  });
});

describe('text only: nothing from the wire runs or becomes markup', () => {
  const html = '<img src=x onerror="window.__bricksPwned=1"><script>window.__bricksPwned=1</script>';
  const js = 'javascript:window.__bricksPwned=1';

  it('shows markup, script URLs and prototype paths as text through every binding', async () => {
    (window as { __bricksPwned?: number }).__bricksPwned = undefined;
    const { element, name } = await mount(`
      <p id="text" data-receive="x"></p>
      <p id="field" data-receive="x" data-field="html"></p>
      <p id="proto" data-receive="x" data-field="__proto__.html">unchanged</p>
      <p id="ctor" data-receive="x" data-field="constructor">unchanged</p>
      <ul data-receive="x"><template><li><b data-field="html"></b><i data-field="__proto__">t</i><a data-field-attr="href:url title:html">a</a><img data-field-attr="src:url" alt=""></li></template></ul>
      <output data-reply="r"></output><output data-reply-error="r"></output>`);
    const errors = collectErrors(element);
    const calls = fakeRequest(element);
    const tags = () => [...element.querySelectorAll('*')].map((node) => node.localName).join(' ');
    const before = tags();

    await push(element, name, `{"type":"x","data":{"html":${JSON.stringify(html)},"url":${JSON.stringify(js)},"__proto__":{"html":"from proto"}}}`);
    $(element, 'output').insertAdjacentHTML('afterend', '<button data-request="r">r</button>');
    await settle();
    $(element, 'button').click();
    $(element, 'button').click();
    calls[0]!.resolve(html);
    calls[1]!.reject(replyError(html));
    await domUntil(element, () => $(element, '[data-reply]').textContent === html && $(element, '[data-reply-error]').textContent === html, 'the replies');

    expect($(element, '#field').textContent).to.equal(html);
    expect($(element, '#text').textContent).to.include('javascript:');
    expect($(element, '#proto').textContent).to.equal('unchanged');
    expect($(element, '#ctor').textContent).to.equal('unchanged');
    expect($(element, 'li b').textContent).to.equal(html);
    expect($(element, 'li i').textContent).to.equal('t');
    const link = $<HTMLAnchorElement>(element, 'li a');
    expect(link.hasAttribute('href')).to.equal(false);
    expect(link.title).to.equal(html);
    expect($(element, 'li img').hasAttribute('src')).to.equal(false);
    expect(errors.map((e) => e.kind)).to.deep.equal(['frame', 'frame']);
    expect(errors[0]!.message).to.match(/href/);

    // Only the template's nodes (and the button this test added) were created.
    expect(tags()).to.equal(before.replace('ul template', 'ul template li b i a img').replace('output output', 'output button output'));
    expect(element.querySelectorAll('script, img:not([alt])').length).to.equal(0);
    expect(({} as { html?: unknown }).html).to.equal(undefined);
    // One more round trip, so an error event of an image, had one been made, would have come.
    await push(element, name, frame('x', 'done'));
    expect((window as { __bricksPwned?: number }).__bricksPwned).to.equal(undefined);
  });

  it('refuses on* attributes in data-field-attr with an error of kind frame', async () => {
    const { element, name } = await mount('<div data-receive="x"><template><span data-field-attr="onclick:code onmouseover:code title:code">s</span></template></div>');
    const failed = nextEvents(element, 'error', 2);
    await push(element, name, frame('x', { code: 'window.__bricksPwned=1' }));
    const details = (await failed).map(errorDetail);
    expect(details.map((d) => d.kind)).to.deep.equal(['frame', 'frame']);
    expect(details[0]!.message).to.match(/onclick.*event handler/);
    const span = $(element, 'span');
    expect(span.getAttributeNames().sort()).to.deep.equal(['data-field-attr', 'title']);
  });

  it('takes data: URLs of images for src, and refuses SVG and HTML ones', async () => {
    const { element, name } = await mount('<div data-receive="x"><template><img alt="" data-field-attr="src:u"></template></div>');
    const errors = collectErrors(element);
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    await push(element, name, frame('x', { u: png }), frame('x', { u: 'data:image/svg+xml,<svg onload=alert(1)>' }), frame('x', { u: 'data:text/html,<script>alert(1)</script>' }));
    expect([...element.querySelectorAll('img')].map((img) => img.getAttribute('src'))).to.deep.equal([png, null, null]);
    expect(errors.map((e) => e.kind)).to.deep.equal(['frame', 'frame']);
  });
});

describe('removal', () => {
  it('takes back every listener, the observer and every object URL; moving keeps them', async () => {
    const { element, name } = make(`<form data-send="text"><input name="text" value="x"></form><button type="button" data-send="b">b</button>
      <audio data-receive="base64audio"></audio><span data-state></span>`, false);
    // Listeners on the element other than the test's own (open, close, message with `once`).
    const listeners = new Map<string, number>();
    const testOwn = new Set(['open', 'close', 'message', 'error']);
    const key = (type: string, listener: unknown) => `${type}:${String(listener).slice(0, 60)}`;
    const add = element.addEventListener.bind(element) as (...args: unknown[]) => void;
    const remove = element.removeEventListener.bind(element) as (...args: unknown[]) => void;
    (element as unknown as { addEventListener: unknown }).addEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (!testOwn.has(type)) listeners.set(key(type, listener), (listeners.get(key(type, listener)) ?? 0) + 1);
      add(type, listener, options);
    };
    (element as unknown as { removeEventListener: unknown }).removeEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (!testOwn.has(type)) listeners.set(key(type, listener), (listeners.get(key(type, listener)) ?? 0) - 1);
      remove(type, listener, options);
    };
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    expect([...listeners.values()].reduce((a, b) => a + b, 0), 'the layer listens on the element').to.be.greaterThan(0);

    // A move (remove and re-insert in one task) keeps everything.
    const parent = element.parentElement!;
    element.remove();
    parent.append(element);
    await settle();
    await push(element, name, frame('base64audio', btoa('clip')));
    const url = $<HTMLAudioElement>(element, 'audio').src;
    expect(url).to.match(/^blob:/);

    const closed = nextEvent(element, 'close');
    element.remove();
    await closed;
    expect([...listeners].filter(([, count]) => count !== 0), 'listeners left').to.deep.equal([]);
    let failed = false;
    await fetch(url).catch(() => (failed = true));
    expect(failed, 'the object URL is revoked').to.equal(true);
    expect($(element, 'audio').hasAttribute('src')).to.equal(false);

    // Nothing reacts any more: a submit is not cancelled, a click sends nothing, state is not shown.
    const submit = new Event('submit', { bubbles: true, cancelable: true });
    $(element, 'form').dispatchEvent(submit);
    expect(submit.defaultPrevented).to.equal(false);
    $(element, 'button').click();
    expect(element.queued).to.equal(0);
    const span = $(element, 'span');
    const late = document.createElement('b');
    late.setAttribute('data-state', '');
    element.append(late);
    const shown = span.textContent;
    element.connect();
    await settle();
    expect(element.state).to.equal('connecting');
    expect([span.textContent, late.textContent]).to.deep.equal([shown, '']);
    element.close();
  });

  it('binds again when the element is inserted again', async () => {
    const { element, name } = await mount('<p data-receive="t"></p><span data-state></span>');
    const closed = nextEvent(element, 'close');
    element.remove();
    await closed;
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    expect($(element, 'span').textContent).to.equal('open');
    await push(element, name, frame('t', 'back'));
    expect($(element, 'p').textContent).to.equal('back');
  });
});

describe('the receive path without bindings', () => {
  it('dispatches frames as before and leaves every descendant alone', async () => {
    const { element, name } = await mount('<p data-field="text">static</p><template><i data-field="text"></i></template><div id="log"></div>');
    const log = $(element, '#log');
    const seen: string[] = [];
    element.addEventListener('message', () => seen.push('message'));
    element.addEventListener('text', (event) => {
      seen.push(`text:${event.detail}`);
      log.append(event.detail);
    });
    await push(element, name, frame('text', 'a'), frame('text', '<b>b</b>'));
    expect(seen).to.deep.equal(['message', 'text:a', 'message', 'text:<b>b</b>']);
    expect($(element, 'p').textContent).to.equal('static');
    expect(log.textContent).to.equal('a<b>b</b>');
    expect(element.querySelectorAll('i, b').length).to.equal(0);
  });
});
