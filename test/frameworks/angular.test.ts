// Angular (standalone component, JIT: @angular/compiler compiles the template
// in the browser): CUSTOM_ELEMENTS_SCHEMA, [wsUrl]/[queueLimit] property
// bindings from signals, (open)/(text) event bindings, destroy.

import '@angular/compiler';
import { expect } from '@open-wc/testing';
import { type ApplicationRef, Component, CUSTOM_ELEMENTS_SCHEMA, enableProdMode, provideZonelessChangeDetection, signal } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import { elementIn, lines, rooms, serverSaysText, serverUntil, until } from './support.js';

// As an app is shipped, and without the "running in development mode" line on the console.
enableProdMode();

/** Where the component under test starts and what it switches to; set before bootstrap. */
const urls = { first: '', second: '' };

@Component({
  selector: 'chat-app',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <bricks-websocket [wsUrl]="url()" protocols="bricks.test" [queueLimit]="7"
        (open)="openedUrl.set($event.detail.url)" (text)="messages.update((all) => [...all, $event.detail])">
      <output>{{ openedUrl() }}</output>
      <ul>
        @for (message of messages(); track $index) {
          <li>{{ message }}</li>
        }
      </ul>
    </bricks-websocket>
    <button (click)="url.set(secondUrl)">Switch</button>
  `,
})
class ChatComponent {
  readonly url = signal(urls.first);
  readonly secondUrl = urls.second;
  readonly openedUrl = signal('');
  readonly messages = signal<string[]>([]);
}

describe('Angular', () => {
  let host: HTMLElement;
  let app: ApplicationRef | undefined;

  beforeEach(() => {
    host = document.body.appendChild(document.createElement('chat-app'));
  });

  afterEach(() => {
    app?.destroy();
    app = undefined;
    host.remove();
  });

  it('binds [wsUrl] and [queueLimit], receives (open) and (text), follows the URL in a signal and closes on destroy', async () => {
    const { first, second, firstUrl, secondUrl } = rooms();
    Object.assign(urls, { first: firstUrl, second: secondUrl });
    app = await bootstrapApplication(ChatComponent, { providers: [provideZonelessChangeDetection()] });
    const element = elementIn(host);
    const output = host.querySelector('output')!;

    await until('(open) to render the URL', () => output.textContent, (text) => text === firstUrl);
    expect(element.wsUrl, '[wsUrl]').to.equal(firstUrl);
    expect(element.protocol, 'the subprotocol the server chose from protocols="bricks.test"').to.equal('bricks.test');
    expect(element.queueLimit, '[queueLimit]').to.equal(7);
    expect((await control(first).stats()).connections).to.equal(1);

    await serverSaysText(first, 'hello angular');
    await until('(text) to render the frame', () => lines(host), (all) => all.join() === 'hello angular');

    host.querySelector('button')!.click();
    await until('(open) for the new URL', () => output.textContent, (text) => text === secondUrl);
    expect(elementIn(host)).to.equal(element);
    await serverUntil(first, (s) => s.open === 0, 'the old socket closed');
    await serverUntil(second, (s) => s.open === 1 && s.connections === 1);

    app.destroy();
    app = undefined;
    await serverUntil(second, (s) => s.open === 0, 'the socket closed after destroy');
    await until('the element to report closed', () => element.state, (state) => state === 'closed');
  });
});
