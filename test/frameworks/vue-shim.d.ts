// What `import Chat from './Chat.vue'` gives a test: a component (Volar would type its props).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<Record<string, unknown>>;
  export default component;
}
