// Template typings for <bricks-websocket> in Vue 3 (checked by vue-tsc / Volar):
// `import type {} from 'bricks-websocket/vue';` once in the app (or list it in tsconfig `types`).
// Vue's template compiler also needs `isCustomElement` to leave the tag to the browser: with Vite,
// vue({ template: { compilerOptions: { isCustomElement: (tag) => tag === 'bricks-websocket' } } }).
// `@text="..."` is typed by `onText`, `:queue-limit` / `:queueLimit` by `queueLimit`.

import type { DefineComponent } from 'vue';
import type { BricksWebSocketEventMap, BricksWebSocketProperties } from 'bricks-websocket';

/** `on<Type>` for every event of the element, as Vue names the listener of `@<type>`. */
export type BricksWebSocketVueEvents = {
  [K in keyof BricksWebSocketEventMap as `on${Capitalize<K>}`]?: (event: BricksWebSocketEventMap[K]) => void;
};

/** Props of `<bricks-websocket>` in a Vue template; Vue sets them as properties (`ws-url` → `wsUrl`). */
export type BricksWebSocketVueProps = BricksWebSocketProperties & BricksWebSocketVueEvents;

declare module 'vue' {
  interface GlobalComponents {
    'bricks-websocket': DefineComponent<BricksWebSocketVueProps>;
  }
}
