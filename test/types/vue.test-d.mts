// Vue 3: the props Volar / vue-tsc check `<bricks-websocket>` templates against.
import type {} from 'bricks-websocket/vue';
import type { GlobalComponents } from 'vue';

type Props = InstanceType<GlobalComponents['bricks-websocket']>['$props'];

export const ok: Props = {
  wsUrl: '/ws',
  queueLimit: 10,
  connectTimeout: 5000,
  bufferLimit: 65536,
  binaryType: 'blob',
  session: () => 'token',
  onText: (event) => event.detail.toUpperCase(),
  onOpen: (event) => event.detail.url,
  onReconnecting: (event) => event.detail.delay,
  onDrain: (event) => event.detail.bufferedAmount,
};

// @ts-expect-error text's detail is a string
export const badHandler: Props = { onText: (event: CustomEvent<number>) => event.detail.toFixed() };
// @ts-expect-error queueLimit is a number
export const badProperty: Props = { queueLimit: 'ten' };
