/**
 * The rules of the declarative layer as pure functions: what a form sends, what a
 * `data-field` path picks, what text a value shows as, and which attributes a template
 * may take from the wire. No listeners and no state, so each rule is tested on its own.
 */

/** What submitting a form sends: the frame's data, nothing, or why it cannot. */
export type FormPayload =
  | { kind: 'data'; data: unknown }
  | { kind: 'empty' }
  | { kind: 'file'; field: string };

const BUTTON_TYPES = new Set(['submit', 'reset', 'button', 'image']);

/**
 * The form's fields and whether each is a list: a name shared by several controls
 * (a radio group counts once) or a `<select multiple>`. Buttons and disabled controls are not fields.
 * The shape comes from the controls, not from what is filled in, so the shape of the
 * data never changes with what the user checked.
 */
export function formFields(form: HTMLFormElement): Map<string, boolean> {
  const controls = new Map<string, number>();
  const radios = new Set<string>();
  for (const control of Array.from(form.elements)) {
    const name = control.getAttribute('name');
    const tag = control.localName;
    if (!name || tag === 'fieldset' || tag === 'object' || tag === 'output' || tag === 'button' || control.matches(':disabled')) continue;
    const type = tag === 'input' ? (control as HTMLInputElement).type : '';
    if (BUTTON_TYPES.has(type)) continue;
    if (type === 'radio') {
      if (radios.has(name)) continue;
      radios.add(name);
    }
    const many = tag === 'select' && (control as HTMLSelectElement).multiple ? 2 : 1;
    controls.set(name, (controls.get(name) ?? 0) + many);
  }
  return new Map([...controls].map(([name, count]) => [name, count > 1]));
}

/**
 * The data a form sends, from its fields (name → is a list) and its entries (`FormData`):
 * - no field: no data (`{"type": T}`);
 * - one field: its value as a string, or an array for a list; empty (`''`, unchecked,
 *   nothing selected) sends nothing;
 * - several fields: an object of them, lists as arrays, unchecked single fields left out.
 * A file anywhere is refused, naming the field.
 */
export function formPayload(fields: ReadonlyMap<string, boolean>, entries: Iterable<[string, FormDataEntryValue]>): FormPayload {
  const values = new Map<string, string[]>();
  for (const [name, value] of entries) {
    if (typeof value !== 'string') return { kind: 'file', field: name };
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  // Entries a `formdata` listener added count as fields too.
  const names = [...new Set([...fields.keys(), ...values.keys()])];
  const isList = (name: string) => fields.get(name) === true || (values.get(name)?.length ?? 0) > 1;
  if (names.length === 0) return { kind: 'data', data: undefined };
  if (names.length === 1) {
    const [name] = names as [string];
    const list = values.get(name) ?? [];
    if (isList(name)) return list.length === 0 ? { kind: 'empty' } : { kind: 'data', data: list };
    return list[0] ? { kind: 'data', data: list[0] } : { kind: 'empty' };
  }
  // fromEntries defines own properties, so a field named "__proto__" stays a field.
  const object = Object.fromEntries(
    names.flatMap((name): Array<[string, string | string[]]> => {
      const list = values.get(name);
      if (isList(name)) return [[name, list ?? []]];
      return list ? [[name, list[0]]] : [];
    }),
  );
  return { kind: 'data', data: object };
}

/** What a form sends when submitted. */
export function serializeForm(form: HTMLFormElement): FormPayload {
  return formPayload(formFields(form), new FormData(form));
}

// Names that would reach the prototype chain rather than the data.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The value at a `data-field` path (`a.b`, `items.0.name`) in frame data: own properties
 * only, never `__proto__`, `constructor` or `prototype`. An empty or absent path is the
 * data itself; a missing step gives `undefined`.
 */
export function pickField(data: unknown, path: string | null): unknown {
  const steps = path?.trim();
  if (!steps) return data;
  let value = data;
  for (const key of steps.split('.')) {
    if (FORBIDDEN_KEYS.has(key) || value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The text a value shows as: a string as it is, a number or boolean as text, `null` as
 * nothing, an object or array as JSON. `undefined` (no value) leaves the node as it was.
 */
export function textOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** `data-field-attr="href:url title:name"` → `[["href", "url"], ["title", "name"]]`; null when a pair has no `:`. */
export function parseFieldAttrs(spec: string): Array<[attribute: string, path: string]> | null {
  const pairs: Array<[string, string]> = [];
  for (const pair of spec.split(/\s+/).filter(Boolean)) {
    // The last colon, so `xlink:href:url` names `xlink:href`.
    const at = pair.lastIndexOf(':');
    if (at <= 0) return null;
    pairs.push([pair.slice(0, at), pair.slice(at + 1)]);
  }
  return pairs;
}

// Attributes whose value the browser loads or navigates to.
const URL_ATTRIBUTES = new Set(['href', 'src', 'xlink:href', 'action', 'formaction', 'poster', 'cite', 'data', 'background', 'ping']);
const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);
// Images (but not SVG, which can carry script), audio and video.
const MEDIA_DATA_URL = /^\s*(?:image\/(?!svg)[\w.+-]+|audio\/[\w.+-]+|video\/[\w.+-]+)\s*[;,]/i;

/** Why a template may never set this attribute from a frame; null when it may. */
export function attributeNameProblem(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.startsWith('on')) return 'it is an event handler attribute, and a frame never sets those';
  if (lower === 'srcdoc') return 'its value would be parsed as HTML, and a frame is only ever text';
  return null;
}

/** True for http:, https:, mailto:, relative URLs, and data: URLs of images (not SVG), audio or video. */
export function isSafeUrl(value: string): boolean {
  let url: URL;
  try {
    // Parsed as the browser will (tabs and newlines inside "java\tscript:" are dropped);
    // a relative URL comes out https: against this base.
    url = new URL(value, 'https://relative.invalid/');
  } catch {
    return false;
  }
  if (SAFE_SCHEMES.has(url.protocol)) return true;
  return url.protocol === 'data:' && MEDIA_DATA_URL.test(url.pathname);
}

// What SVG animation writes into another attribute (an animated href, for one): each value a URL.
const ANIMATION_VALUES = new Set(['to', 'from', 'by', 'values']);

/** Why this value may not go into this attribute; null when it may. */
export function attributeValueProblem(name: string, value: string): string | null {
  const lower = name.toLowerCase();
  if (URL_ATTRIBUTES.has(lower) ? isSafeUrl(value) : !ANIMATION_VALUES.has(lower) || value.split(';').every(isSafeUrl)) return null;
  return `${name} takes only http:, https:, mailto:, relative URLs, or data: URLs of images, audio or video`;
}

/** An error to show for a failed `data-request`: `message`, and `code` (a reply's code, or the DOMException's name), `data` when the reply had it. */
export function errorView(error: unknown): { message: string; code?: unknown; data?: unknown } {
  const found = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown; code?: unknown; data?: unknown };
  const message = typeof found.message === 'string' ? found.message : String(error);
  if (found.name !== 'ReplyError') return { message, code: typeof found.name === 'string' ? found.name : 'Error' };
  return {
    message,
    ...(found.code === undefined ? {} : { code: found.code }),
    ...(found.data === undefined ? {} : { data: found.data }),
  };
}
