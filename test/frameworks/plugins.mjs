// What the framework tests (test/frameworks/) need from the test server, as
// web-test-runner plugins. Each does what the framework's own build tool would:
//
//   *.test.tsx  esbuild with the automatic JSX runtime (jsx: react-jsx in ./tsconfig.json)
//   react       React ships CommonJS only: esbuild bundles react, react-dom/client and
//               the JSX runtime once into ES modules sharing one copy of React
//   *.vue       single-file components compiled by vue/compiler-sfc (template included, with
//               isCustomElement for the tag), as Vite's Vue plugin does; `vue` is then the
//               runtime-only build (vue.runtime.esm-browser.js), which has no template compiler
//   *.svelte    compiled by svelte/compiler to a client component
//   /__htmx/    the HTML fragments the htmx test swaps in, as a server would render them

import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { compile } from 'svelte/compiler';
import { compileScript, parse } from 'vue/compiler-sfc';

const rootDir = fileURLToPath(new URL('../..', import.meta.url));

export function frameworkPlugins() {
  return [
    esbuildPlugin({ tsx: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
    reactPlugin(),
    vuePlugin(),
    sveltePlugin(),
    htmxFragmentsPlugin(),
  ];
}

const REACT_MODULES = ['react', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'react-dom', 'react-dom/client'];
const REACT_PREFIX = '/__react/';

function reactPlugin() {
  let bundle;
  return {
    name: 'bricks-websocket-react',
    resolveImport({ source }) {
      return REACT_MODULES.includes(source) ? `${REACT_PREFIX}${source.replace('/', '__')}.js` : undefined;
    },
    async serve(context) {
      if (!context.path.startsWith(REACT_PREFIX)) return undefined;
      bundle ??= bundleReact();
      const body = (await bundle).get(context.path);
      return body === undefined ? undefined : { type: 'js', body };
    },
  };
}

/** One ES module per entry, with shared chunks: react-dom must see the same React as the component. */
async function bundleReact() {
  // Asked of a separate Node: React's development build writes to the console
  // when loaded, and web-test-runner's console here is its own.
  const exportNames = JSON.parse(
    execFileSync(
      process.execPath,
      ['-e', `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(REACT_MODULES)}.map((m) => [m, Object.keys(require(m))]))))`],
      { cwd: rootDir, encoding: 'utf8' },
    ),
  );
  const result = await build({
    entryPoints: REACT_MODULES.map((name) => ({ in: `entry:${name}`, out: name.replace('/', '__') })),
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    outdir: REACT_PREFIX,
    absWorkingDir: rootDir,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"development"' },
    plugins: [
      {
        // CommonJS has no static export names, so each entry re-exports the names Node sees.
        name: 'named-exports',
        setup(esbuild) {
          esbuild.onResolve({ filter: /^entry:/ }, ({ path }) => ({ path: path.slice('entry:'.length), namespace: 'entry' }));
          esbuild.onLoad({ filter: /.*/, namespace: 'entry' }, ({ path }) => {
            const names = exportNames[path].filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name));
            return {
              contents: `import m from ${JSON.stringify(path)};\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
              resolveDir: rootDir,
            };
          });
        },
      },
    ],
  });
  return new Map(result.outputFiles.map((file) => [file.path, file.text]));
}

function vuePlugin() {
  return {
    name: 'bricks-websocket-vue',
    resolveImport({ source }) {
      return source === 'vue' ? '/node_modules/vue/dist/vue.runtime.esm-browser.js' : undefined;
    },
    resolveMimeType(context) {
      return context.path.endsWith('.vue') ? 'js' : undefined;
    },
    async transform(context) {
      if (!context.path.endsWith('.vue')) return undefined;
      const filename = fileURLToPath(new URL(`.${context.path}`, `file://${rootDir}/`));
      // The option a Vite app sets in vue({ template: { compilerOptions } }); the parser needs it
      // too, or the template's AST has already taken the tag for a component.
      const isCustomElement = (tag) => tag === 'bricks-websocket';
      const { descriptor, errors } = parse(await readFile(filename, 'utf8'), { filename, templateParseOptions: { isCustomElement } });
      if (errors.length > 0) throw errors[0];
      const script = compileScript(descriptor, { id: context.path, inlineTemplate: true, templateOptions: { compilerOptions: { isCustomElement } } });
      const { code } = await transform(script.content, { loader: 'ts', target: 'es2022' });
      return { body: code };
    },
  };
}

function sveltePlugin() {
  return {
    name: 'bricks-websocket-svelte',
    resolveMimeType(context) {
      return context.path.endsWith('.svelte') ? 'js' : undefined;
    },
    async transform(context) {
      if (!context.path.endsWith('.svelte')) return undefined;
      const filename = fileURLToPath(new URL(`.${context.path}`, `file://${rootDir}/`));
      const source = await readFile(filename, 'utf8');
      const { js, warnings } = compile(source, { filename, generate: 'client', dev: true, css: 'injected' });
      for (const warning of warnings) console.warn(`${filename}: ${warning.message}`);
      return { body: js.code };
    },
  };
}

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 *   GET /__htmx/socket?ws-url=U   the live region: <bricks-websocket ws-url=U> with its htmx bindings
 *   GET /__htmx/line?text=T       one <li> for the log, as a server would echo a message
 *   GET /__htmx/empty             nothing
 */
function htmxFragmentsPlugin() {
  const fragments = {
    '/__htmx/socket': (query) => `
      <bricks-websocket ws-url="${escapeHtml(query.get('ws-url'))}" queue-limit="7" hx-on:open="this.dataset.opened = event.detail.url">
        <ul class="log" hx-get="/__htmx/line" hx-trigger="text from:closest bricks-websocket" hx-vals="js:{text: event.detail}" hx-swap="beforeend"></ul>
      </bricks-websocket>`,
    '/__htmx/line': (query) => `<li>${escapeHtml(query.get('text'))}</li>`,
    '/__htmx/empty': () => '',
  };
  return {
    name: 'bricks-websocket-htmx-fragments',
    serve(context) {
      const fragment = fragments[context.path];
      return fragment ? { type: 'html', body: fragment(new URLSearchParams(context.querystring)) } : undefined;
    },
  };
}
