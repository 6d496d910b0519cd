// Angular renders and binds [withSession], [session], [sessionOrigins] and [protocols] as
// properties before a lazily imported <bricks-websocket> is defined. The first and only
// connection must carry them: this page imports the definition after bootstrap.

import '@angular/compiler';
import { expect } from '@open-wc/testing';
import { type ApplicationRef, Component, CUSTOM_ELEMENTS_SCHEMA, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { control, nextEvent, port } from '../helpers/server.js';
import { elementIn, rooms } from './support.js';

const settings = { url: '' };

@Component({
  selector: 'late-app',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `<bricks-websocket [withSession]="true" [session]="session" [sessionOrigins]="origin"
      [protocols]="'chat.v1'" [heartbeat]="60000" [wsUrl]="url"></bricks-websocket>`,
})
class LateComponent {
  readonly session = 'tokAngular';
  readonly origin = `ws://127.0.0.1:${port}`;
  readonly url = settings.url;
}

describe('Angular binding properties before the element is defined', () => {
  let app: ApplicationRef | undefined;
  let host: HTMLElement;

  afterEach(() => {
    app?.destroy();
    host?.remove();
  });

  it('connects once, offering the session and protocols bound before the lazy import', async () => {
    expect(customElements.get('bricks-websocket'), 'not defined before bootstrap').to.equal(undefined);
    const { first, firstUrl } = rooms();
    settings.url = firstUrl;
    host = document.body.appendChild(document.createElement('late-app'));
    app = await bootstrapApplication(LateComponent, { providers: [provideZonelessChangeDetection()] });
    const element = elementIn(host);
    expect((element as unknown as { session: string }).session, 'Angular set the property on the undefined element').to.equal('tokAngular');

    const opened = nextEvent(element, 'open');
    await import('../../src/bricks-websocket.js');
    await opened;
    const stats = await control(first).stats();
    expect(stats.attempts.map((attempt) => attempt.protocols)).to.deep.equal([['tokAngular', 'chat.v1']]);
    expect(element.heartbeat).to.equal(60000);
  });
});
