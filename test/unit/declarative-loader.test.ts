// The declarative layer loaded on first use (issue 17): the loader with its import held open by
// the test, on a stand-in host, so what happens while the chunk is in flight can be checked.

import { expect } from '@open-wc/testing';
import type { ConnectionState } from '../../src/connection/connection.js';
import { DeclarativeLoader, type DeclarativeModule, type LoadDeclarative } from '../../src/declarative/declarative-loader.js';
import type { DeclarativeHost } from '../../src/declarative/declarative-loader.js';

interface Host extends DeclarativeHost {
  state: ConnectionState;
  sent: Array<[string, unknown]>;
}

const hosts: HTMLElement[] = [];
afterEach(() => {
  for (const host of hosts.splice(0)) host.remove();
});

/** A host in the document with `html` inside, that records what the layer sends. */
function host(html: string, state: ConnectionState = 'open'): Host {
  const element = document.createElement('div') as unknown as Host;
  element.innerHTML = html;
  element.state = state;
  element.sent = [];
  element.send = (type, data) => (element.sent.push([type, data]), true);
  document.body.append(element);
  hosts.push(element);
  return element;
}

/** An import the test resolves or rejects; `calls` counts how often it was asked for. */
function heldImport() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const pending = new Promise<DeclarativeModule>((ok, fail) => {
    resolve = () => ok(import('../../src/declarative/declarative.js'));
    reject = fail;
  });
  const load: LoadDeclarative & { calls: number } = Object.assign(() => (load.calls++, pending), { calls: 0 });
  return { load, resolve, reject, settled: () => pending.then(settle, settle) };
}

/** The loader's own reaction to the import has run (a few turns after the promise settles). */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve));

function collectErrors() {
  const errors: Array<{ kind: string; message: string }> = [];
  return { errors, fail: (kind: string, message: string) => errors.push({ kind, message }) };
}

const $ = <T extends Element = HTMLElement>(root: ParentNode, selector: string) => root.querySelector(selector) as T;

describe('declarative layer on demand: when it loads', () => {
  it('does not load while no descendant uses a data-* attribute of the layer, and ignores frames', async () => {
    const el = host('<p data-field="x">plain</p><form><input name="a"></form>');
    const { load } = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, load);
    loader.receive('t', 'x');
    el.append(Object.assign(document.createElement('b'), { textContent: 'more' }));
    $(el, 'p').setAttribute('data-limit', '3');
    await settle();
    expect(load.calls).to.equal(0);
    loader.dispose();
  });

  it('loads once when a user of the layer is added later or gets its attribute, and not again', async () => {
    for (const change of [
      (el: HTMLElement) => el.insertAdjacentHTML('beforeend', '<section><span data-receive="t"></span></section>'),
      (el: HTMLElement) => $(el, 'form').setAttribute('data-send', 'text'),
      (el: HTMLElement) => $(el, 'button').setAttribute('data-request', 'ask'),
    ]) {
      const el = host('<form><input name="a"></form><button type="button">b</button>');
      const held = heldImport();
      const loader = new DeclarativeLoader(el, () => {}, held.load);
      change(el);
      await settle();
      el.insertAdjacentHTML('beforeend', '<i data-state></i>');
      await settle();
      expect(held.load.calls).to.equal(1);
      loader.dispose();
    }
  });
});

describe('declarative layer on demand: while it loads', () => {
  it('keeps frames in order and shows them once loaded, with the state read when it starts', async () => {
    const el = host('<ol data-receive="n"><template><li data-field="i"></li></template></ol><b data-receive="t"></b><span data-state></span>', 'connecting');
    const held = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, held.load);
    loader.receive('n', { i: 1 });
    loader.receive('t', 'first');
    loader.receive('n', { i: 2 });
    loader.receive('t', 'last');
    el.state = 'open';
    loader.stateChanged('open');
    expect([$(el, 'b').textContent, $(el, 'span').textContent, el.querySelectorAll('li').length]).to.deep.equal(['', '', 0]);
    held.resolve();
    await held.settled();
    expect([...el.querySelectorAll('li')].map((li) => li.textContent)).to.deep.equal(['1', '2']);
    expect([$(el, 'b').textContent, $(el, 'span').textContent]).to.deep.equal(['last', 'open']);
    loader.receive('t', 'after');
    expect($(el, 'b').textContent).to.equal('after');
    loader.dispose();
  });

  it('cancels a submission at once, and sends what the form held then once loaded', async () => {
    const el = host('<form data-send="text"><input name="text"></form>');
    const held = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, held.load);
    const form = $<HTMLFormElement>(el, 'form');
    const input = $<HTMLInputElement>(el, 'input');
    let prevented: boolean | undefined;
    const check = (event: Event) => (prevented = event.defaultPrevented);
    document.addEventListener('submit', check);
    try {
      input.value = 'typed';
      form.requestSubmit();
      input.value = 'changed after the submission';
    } finally {
      document.removeEventListener('submit', check);
    }
    expect([prevented, el.sent]).to.deep.equal([true, []]);
    held.resolve();
    await held.settled();
    expect(el.sent).to.deep.equal([['text', 'typed']]);
    expect(input.value, 'the form is reset once sent').to.equal('');
    loader.dispose();
  });

  it('hands clicks and submissions to the layer in the order they came, frames in between', async () => {
    const el = host('<form data-send="f"><input name="v"></form><button type="button" data-send="b" value="1"><span>tap</span></button><p data-receive="t"></p>');
    const held = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, held.load);
    $(el, 'span').click();
    $<HTMLInputElement>(el, 'input').value = 'x';
    $<HTMLFormElement>(el, 'form').requestSubmit();
    loader.receive('t', 'shown');
    $(el, 'button').click();
    held.resolve();
    await held.settled();
    expect(el.sent).to.deep.equal([['b', '1'], ['f', 'x'], ['b', '1']]);
    expect($(el, 'p').textContent).to.equal('shown');
    loader.dispose();
  });

  it('leaves alone a submission the page cancelled, and a click on a disabled button', async () => {
    const el = host('<form data-send="f"><input name="v" value="x"></form><button type="button" data-send="b" disabled><i>x</i></button>');
    const held = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, held.load);
    const form = $<HTMLFormElement>(el, 'form');
    form.addEventListener('submit', (event) => event.preventDefault(), { once: true });
    form.requestSubmit();
    $(el, 'i').click();
    held.resolve();
    await held.settled();
    expect(el.sent).to.deep.equal([]);
    loader.dispose();
  });

  it('a click held while loading on a data-send-when="open" button that is not open is refused with an error', async () => {
    const el = host('<button type="button" data-send="b" data-send-when="open">b</button>', 'connecting');
    const held = heldImport();
    const { errors, fail } = collectErrors();
    const loader = new DeclarativeLoader(el, fail, held.load);
    $(el, 'button').click();
    held.resolve();
    await held.settled();
    expect([el.sent, errors.map((e) => e.kind), $<HTMLButtonElement>(el, 'button').disabled]).to.deep.equal([[], ['send'], true]);
    loader.dispose();
  });
});

describe('declarative layer on demand: removal and failure', () => {
  it('removed before the import finishes: what was kept still happens once it has loaded, and the layer lets go at once', async () => {
    const el = host('<span data-state></span><b data-receive="t"></b><form data-send="f"><input name="v" value="x"></form>');
    const held = heldImport();
    const { errors, fail } = collectErrors();
    const loader = new DeclarativeLoader(el, fail, held.load);
    loader.receive('t', 'kept');
    $<HTMLFormElement>(el, 'form').requestSubmit();
    loader.dispose();
    // With the layer loaded, the frame was shown and the submission queued before the removal.
    held.resolve();
    await held.settled();
    expect([$(el, 'b').textContent, el.sent, errors]).to.deep.equal(['kept', [['f', 'x']], []]);
    // No listener is left: a submission now is the page's own.
    let prevented: boolean | undefined;
    const check = (event: Event) => {
      prevented = event.defaultPrevented;
      event.preventDefault();
    };
    document.addEventListener('submit', check);
    $<HTMLFormElement>(el, 'form').requestSubmit();
    document.removeEventListener('submit', check);
    expect(prevented).to.equal(false);
  });

  it('removed before a failed import: says what it dropped', async () => {
    const el = host('<form data-send="f"><input name="v" value="x"></form>');
    const held = heldImport();
    const { errors, fail } = collectErrors();
    const loader = new DeclarativeLoader(el, fail, held.load);
    $<HTMLFormElement>(el, 'form').requestSubmit();
    loader.dispose();
    held.reject(new TypeError('Failed to fetch dynamically imported module'));
    await held.settled();
    expect(errors.map((e) => e.kind)).to.deep.equal(['frame']);
    expect(errors[0]!.message).to.contain('1 submission or click not sent');
  });

  it('submissions and clicks of a nested element are its own: an outer element whose import failed says nothing of them', async () => {
    const el = host('<section><form data-send="f"><input name="v" value="x"></form><button type="button" data-send="b">b</button></section>');
    const inner = Object.assign($(el, 'section'), { state: 'open' as ConnectionState, sent: [] as Array<[string, unknown]> });
    Object.assign(inner, { send: (type: string, data: unknown) => (inner.sent.push([type, data]), true) });
    const outer = heldImport();
    const { errors, fail } = collectErrors();
    const loader = new DeclarativeLoader(el, fail, outer.load);
    const innerHeld = heldImport();
    const innerLoader = new DeclarativeLoader(inner as unknown as Host, () => {}, innerHeld.load);
    outer.reject(new TypeError('Failed to fetch dynamically imported module'));
    await outer.settled();
    $<HTMLFormElement>(el, 'form').requestSubmit();
    $(el, 'button').click();
    innerHeld.resolve();
    await innerHeld.settled();
    expect(errors.map((e) => e.kind), 'only the failed import').to.deep.equal(['frame']);
    expect(inner.sent).to.deep.equal([['f', 'x'], ['b', undefined]]);
    innerLoader.dispose();
    loader.dispose();
  });

  it('a submission or click is judged at the event: the page removing its form or button meanwhile does not drop it', async () => {
    const el = host('<form data-send="f"><input name="v" value="x"></form><button type="button" data-send="b" value="1">b</button>');
    const held = heldImport();
    const loader = new DeclarativeLoader(el, () => {}, held.load);
    const form = $<HTMLFormElement>(el, 'form');
    const button = $(el, 'button');
    form.requestSubmit();
    button.click();
    form.remove();
    button.remove();
    held.resolve();
    await held.settled();
    expect(el.sent).to.deep.equal([['f', 'x'], ['b', '1']]);
    loader.dispose();
  });

  it('a failed import fires one error of kind frame that says what was dropped, with no unhandled rejection', async () => {
    const el = host('<b data-receive="t"></b><form data-send="f"><input name="v" value="x"></form>');
    const held = heldImport();
    const { errors, fail } = collectErrors();
    const rejections: unknown[] = [];
    const onRejection = (event: PromiseRejectionEvent) => rejections.push(event.reason);
    window.addEventListener('unhandledrejection', onRejection);
    try {
      const loader = new DeclarativeLoader(el, fail, held.load);
      loader.receive('t', 'one');
      loader.receive('t', 'two');
      $<HTMLFormElement>(el, 'form').requestSubmit();
      held.reject(new TypeError('Failed to fetch dynamically imported module'));
      await held.settled();
      await settle();
      expect(errors).to.have.length(1);
      expect(errors[0]!.kind).to.equal('frame');
      expect(errors[0]!.message).to.contain('2 frames not shown, 1 submission or click not sent').and.contain('beside bricks-websocket.js');
      // Later submissions still do not navigate, and say why nothing was sent.
      let prevented: boolean | undefined;
      const check = (event: Event) => (prevented = event.defaultPrevented);
      document.addEventListener('submit', check);
      $<HTMLFormElement>(el, 'form').requestSubmit();
      document.removeEventListener('submit', check);
      loader.receive('t', 'three');
      expect([prevented, errors.map((e) => e.kind), $(el, 'b').textContent, el.sent]).to.deep.equal([true, ['frame', 'send'], '', []]);
      loader.dispose();
      let after: boolean | undefined;
      const page = (event: Event) => {
        after = event.defaultPrevented;
        event.preventDefault();
      };
      document.addEventListener('submit', page);
      $<HTMLFormElement>(el, 'form').requestSubmit();
      document.removeEventListener('submit', page);
      expect([after, errors.length], 'disposed: no listener, no more reports').to.deep.equal([false, 2]);
    } finally {
      window.removeEventListener('unhandledrejection', onRejection);
    }
    expect(rejections).to.deep.equal([]);
  });
});

describe('declarative layer on demand: once loaded in a document', () => {
  it('later elements start the layer at once, as a static import did', async () => {
    const held = heldImport();
    const first = new DeclarativeLoader(host('<i data-state></i>'), () => {}, held.load);
    held.resolve();
    await held.settled();
    const el = host('<span data-state></span>', 'connecting');
    const second = new DeclarativeLoader(el, () => {}, held.load);
    expect($(el, 'span').textContent).to.equal('connecting');
    expect(held.load.calls).to.equal(1);
    first.dispose();
    second.dispose();
  });
});
