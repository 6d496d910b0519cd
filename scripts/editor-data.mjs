// Editor support, generated from custom-elements.json by `npm run build`:
//   dist/vscode.html-custom-data.json   VS Code HTML custom data (setting `html.customData`)
//   dist/web-types.json                 JetBrains web-types (package.json `web-types`)
// Both list the tag, its attributes (with their values where they are a closed
// set) and its events, with the descriptions written in the JSDoc of src/.
// The attributes of the declarative layer, read on descendants (the manifest's
// `descendantAttributes`), go in as global attributes: neither format can say
// "only inside <bricks-websocket>", so each description says it.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const manifest = JSON.parse(readFileSync(new URL('custom-elements.json', root), 'utf8'));

/** Closed value sets the manifest only names by type. */
const NAMED_TYPES = { BinaryType: ['arraybuffer', 'blob'] };

/** The values of a string-literal union (`'a' | 'b'`) or a named type above; null for an open type. */
function valuesOf(type = '') {
  if (NAMED_TYPES[type]) return NAMED_TYPES[type];
  const parts = type.split('|').map((part) => part.trim());
  return parts.length > 0 && parts.every((part) => /^'[^']*'$/.test(part)) ? parts.map((part) => part.slice(1, -1)) : null;
}

const elements = manifest.modules.flatMap((module) => (module.declarations ?? []).filter((d) => d.customElement && d.tagName));
if (elements.length === 0) throw new Error('custom-elements.json declares no custom element; run `npm run analyze`.');

/** Closed value sets of the descendant attributes, which the JSDoc gives only in prose. */
const DESCENDANT_VALUES = { 'data-send-when': ['open'], 'data-insert': ['prepend'] };
/** Descendant attributes written without a value. */
const VALUELESS = new Set(['data-state']);
const descendantAttributes = [
  ...new Map(elements.flatMap((element) => (element.descendantAttributes ?? []).map((a) => [a.name, { ...a, tag: element.tagName }]))).values(),
];
const descendantDescription = (attribute) => `Inside <${attribute.tag}>: ${attribute.description}`;

const docsUrl = (pkg.homepage ?? '').trim();
const description = (element) => [element.summary, element.description].filter(Boolean).join('\n\n');

const vscode = {
  $schema: 'https://raw.githubusercontent.com/microsoft/vscode-html-languageservice/main/docs/customData.schema.json',
  version: 1.1,
  tags: elements.map((element) => ({
    name: element.tagName,
    description: description(element),
    attributes: (element.attributes ?? []).map((attribute) => {
      const values = valuesOf(attribute.type?.text);
      return {
        name: attribute.name,
        description: attribute.description ?? '',
        ...(attribute.type?.text === 'boolean' ? { valueSet: 'v' } : {}),
        ...(values ? { values: values.map((name) => ({ name })) } : {}),
      };
    }),
    ...(docsUrl ? { references: [{ name: 'README', url: docsUrl }] } : {}),
  })),
  globalAttributes: descendantAttributes.map((attribute) => ({
    name: attribute.name,
    description: descendantDescription(attribute),
    ...(DESCENDANT_VALUES[attribute.name] ? { values: DESCENDANT_VALUES[attribute.name].map((name) => ({ name })) } : {}),
    ...(VALUELESS.has(attribute.name) ? { valueSet: 'v' } : {}),
  })),
};

const webTypes = {
  $schema: 'https://raw.githubusercontent.com/JetBrains/web-types/master/schema/web-types.json',
  name: pkg.name,
  version: pkg.version,
  'description-markup': 'markdown',
  contributions: {
    html: {
      elements: elements.map((element) => ({
        name: element.tagName,
        description: description(element),
        attributes: (element.attributes ?? []).map((attribute) => {
          const values = valuesOf(attribute.type?.text);
          return {
            name: attribute.name,
            description: attribute.description ?? '',
            // A default that names a constant in src/ means nothing to a reader of HTML.
            ...(attribute.default && !/^[A-Z_][A-Z0-9_]*$/.test(attribute.default) ? { default: attribute.default } : {}),
            value:
              attribute.type?.text === 'boolean'
                ? { type: 'boolean', required: false }
                : values
                  ? { type: values.map((v) => `'${v}'`).join(' | '), kind: 'plain' }
                  : { type: attribute.type?.text ?? 'string', kind: 'plain' },
          };
        }),
        events: (element.events ?? []).map((event) => ({ name: event.name, description: event.description ?? '' })),
        slots: (element.slots ?? []).map((slot) => ({ name: slot.name, description: slot.description ?? '' })),
        css: {
          properties: (element.cssProperties ?? []).map((p) => ({ name: p.name, description: p.description ?? '' })),
        },
      })),
      attributes: descendantAttributes.map((attribute) => ({
        name: attribute.name,
        description: descendantDescription(attribute),
        value: DESCENDANT_VALUES[attribute.name]
          ? { type: DESCENDANT_VALUES[attribute.name].map((v) => `'${v}'`).join(' | '), kind: 'plain' }
          : { type: 'string', kind: 'plain', ...(VALUELESS.has(attribute.name) ? { required: false } : {}) },
      })),
    },
  },
};

const dist = new URL('dist/', root);
mkdirSync(dist, { recursive: true });
for (const [file, data] of [
  ['vscode.html-custom-data.json', vscode],
  ['web-types.json', webTypes],
]) {
  writeFileSync(new URL(file, dist), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(new URL(file, dist))}`);
}
