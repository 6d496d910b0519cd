// The declarative layer's pure rules: what a form sends, what a data-field path picks,
// what text a value shows as, and which attributes a frame may set.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  attributeNameProblem,
  attributeValueProblem,
  errorView,
  formFields,
  formPayload,
  isSafeUrl,
  parseFieldAttrs,
  pickField,
  serializeForm,
  textOf,
} from '../../src/declarative/declarative-rules.js';

/** A form from HTML, not in the document: FormData reads it all the same. */
function form(html: string): HTMLFormElement {
  const element = document.createElement('form');
  element.innerHTML = html;
  return element;
}

describe('declarative rules: serializeForm', () => {
  it('sends the value of a form with one named field as a string, as sendText() would', () => {
    expect(serializeForm(form('<input name="text" value="hello"><button>Send</button>'))).to.deep.equal({ kind: 'data', data: 'hello' });
  });

  it('sends nothing for a form with one empty field', () => {
    expect(serializeForm(form('<input name="text" value="">'))).to.deep.equal({ kind: 'empty' });
    expect(serializeForm(form('<input type="checkbox" name="agree">'))).to.deep.equal({ kind: 'empty' });
    expect(serializeForm(form('<input type="radio" name="pick" value="a"><input type="radio" name="pick" value="b">'))).to.deep.equal({ kind: 'empty' });
  });

  it('keeps spaces: only an empty value counts as empty', () => {
    expect(serializeForm(form('<input name="text" value="  ">'))).to.deep.equal({ kind: 'data', data: '  ' });
  });

  it('sends an object of several fields, in document order', () => {
    const payload = serializeForm(form('<input name="to" value="ana"><textarea name="body">hi</textarea><select name="mood"><option>ok</option><option selected>good</option></select>'));
    expect(payload).to.deep.equal({ kind: 'data', data: { to: 'ana', body: 'hi', mood: 'good' } });
    expect(Object.keys((payload as { data: object }).data)).to.deep.equal(['to', 'body', 'mood']);
  });

  it('keeps empty values in an object and leaves unchecked single checkboxes out', () => {
    expect(serializeForm(form('<input name="to" value=""><input type="checkbox" name="urgent"><input type="checkbox" name="loud" checked>'))).to.deep.equal({
      kind: 'data',
      data: { to: '', loud: 'on' },
    });
  });

  it('makes a repeated name an array, whatever is checked, so the shape never depends on the input', () => {
    const tags = (checked: string[]) =>
      serializeForm(form(`<input name="text" value="t">${['a', 'b', 'c'].map((v) => `<input type="checkbox" name="tags" value="${v}"${checked.includes(v) ? ' checked' : ''}>`).join('')}`));
    expect(tags(['a', 'c'])).to.deep.equal({ kind: 'data', data: { text: 't', tags: ['a', 'c'] } });
    expect(tags(['b'])).to.deep.equal({ kind: 'data', data: { text: 't', tags: ['b'] } });
    expect(tags([])).to.deep.equal({ kind: 'data', data: { text: 't', tags: [] } });
  });

  it('treats a radio group as one field and a select multiple as a list', () => {
    expect(serializeForm(form('<input type="radio" name="size" value="s"><input type="radio" name="size" value="m" checked>'))).to.deep.equal({ kind: 'data', data: 'm' });
    expect(serializeForm(form('<select name="days" multiple><option selected>mo</option><option>tu</option></select>'))).to.deep.equal({ kind: 'data', data: ['mo'] });
    expect(serializeForm(form('<select name="days" multiple><option>mo</option></select>'))).to.deep.equal({ kind: 'empty' });
  });

  it('leaves out buttons, unnamed and disabled fields', () => {
    expect(serializeForm(form('<input name="text" value="hi"><input value="unnamed"><input name="off" value="x" disabled><button name="go" value="1">Go</button><input type="submit" name="s" value="S">'))).to.deep.equal({
      kind: 'data',
      data: 'hi',
    });
  });

  it('sends no data for a form without fields', () => {
    expect(serializeForm(form('<button>Ping</button>'))).to.deep.equal({ kind: 'data', data: undefined });
  });

  it('refuses a file input, naming the field', () => {
    expect(serializeForm(form('<input name="text" value="hi"><input type="file" name="photo">'))).to.deep.equal({ kind: 'file', field: 'photo' });
  });

  it('keeps a field named __proto__ a field, not a prototype', () => {
    const payload = serializeForm(form('<input name="__proto__" value="x"><input name="constructor" value="y">')) as { data: Record<string, unknown> };
    expect(Object.getPrototypeOf(payload.data)).to.equal(Object.prototype);
    expect(JSON.stringify(payload.data)).to.equal('{"__proto__":"x","constructor":"y"}');
  });

  it('counts entries a formdata listener adds', () => {
    const element = form('<input name="text" value="hi">');
    element.addEventListener('formdata', (event) => (event as FormDataEvent).formData.append('extra', '1'));
    expect(serializeForm(element)).to.deep.equal({ kind: 'data', data: { text: 'hi', extra: '1' } });
  });

  it('formFields and formPayload: a single field is a string for any text, an object field for several', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (value, other) => {
        expect(formPayload(new Map([['a', false]]), [['a', value]])).to.deep.equal({ kind: 'data', data: value });
        expect(formPayload(new Map([['a', false], ['b', false]]), [['a', value], ['b', other]])).to.deep.equal({ kind: 'data', data: { a: value, b: other } });
      }),
    );
    expect([...formFields(form('<input name="a"><input name="b"><input name="b">'))]).to.deep.equal([['a', false], ['b', true]]);
  });
});

describe('declarative rules: pickField', () => {
  const data = { from: 'ana', at: 1, nested: { deep: { value: 'x' } }, list: [{ name: 'first' }], nothing: null };

  it('follows a dot path through objects and arrays', () => {
    expect(pickField(data, 'from')).to.equal('ana');
    expect(pickField(data, 'nested.deep.value')).to.equal('x');
    expect(pickField(data, 'list.0.name')).to.equal('first');
    expect(pickField(data, ' from ')).to.equal('ana');
  });

  it('gives the data itself for an empty or absent path', () => {
    expect(pickField(data, null)).to.equal(data);
    expect(pickField(data, '')).to.equal(data);
  });

  it('gives undefined for a missing step, or a step through a primitive or null', () => {
    expect(pickField(data, 'missing')).to.equal(undefined);
    expect(pickField(data, 'from.length')).to.equal(undefined);
    expect(pickField(data, 'nothing.x')).to.equal(undefined);
    expect(pickField('text', 'length')).to.equal(undefined);
  });

  it('never reaches the prototype chain, even for keys JSON.parse made own', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"name":"c"},"prototype":1}');
    for (const path of ['__proto__', '__proto__.polluted', 'constructor', 'constructor.name', 'prototype', 'toString', 'hasOwnProperty', 'from.constructor']) {
      expect(pickField(parsed, path), path).to.equal(undefined);
      expect(pickField(data, path), path).to.equal(undefined);
    }
  });

  it('only ever returns the data or one of its own values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.constantFrom('a', '0', '__proto__', 'constructor', 'toString', 'length', 'prototype'), { maxLength: 4 }), (value, keys) => {
        const picked = pickField(value, keys.join('.'));
        if (picked === undefined || picked === value) return;
        expect(typeof picked === 'function').to.equal(false);
        expect(keys.some((key) => ['__proto__', 'constructor', 'prototype'].includes(key))).to.equal(false);
        // Reached through own properties only: an own "toString" key is data like any other.
        let own: unknown = value;
        for (const key of keys) own = Object.hasOwn(own as object, key) ? (own as Record<string, unknown>)[key] : undefined;
        expect(picked).to.equal(own);
      }),
    );
  });
});

describe('declarative rules: textOf', () => {
  it('shows strings as they are, numbers and booleans as text, null as nothing, objects as JSON', () => {
    expect(textOf('<img src=x onerror=alert(1)>')).to.equal('<img src=x onerror=alert(1)>');
    expect(textOf(42)).to.equal('42');
    expect(textOf(false)).to.equal('false');
    expect(textOf(null)).to.equal('');
    expect(textOf({ a: [1] })).to.equal('{"a":[1]}');
    expect(textOf(undefined)).to.equal(undefined);
  });
});

describe('declarative rules: attributes from a frame', () => {
  it('parses attr:path pairs, splitting at the last colon', () => {
    expect(parseFieldAttrs('href:url  title:name')).to.deep.equal([
      ['href', 'url'],
      ['title', 'name'],
    ]);
    expect(parseFieldAttrs('xlink:href:link')).to.deep.equal([['xlink:href', 'link']]);
    expect(parseFieldAttrs('href')).to.equal(null);
    expect(parseFieldAttrs(':url')).to.equal(null);
  });

  it('refuses event handler attributes and srcdoc, in any case', () => {
    for (const name of ['onclick', 'onerror', 'OnLoad', 'srcdoc']) expect(attributeNameProblem(name), name).to.be.a('string');
    for (const name of ['title', 'href', 'class', 'data-x']) expect(attributeNameProblem(name), name).to.equal(null);
  });

  it('takes http:, https:, mailto:, relative URLs and data: URLs of media', () => {
    for (const url of ['https://example.com/a', 'http://example.com', 'mailto:a@example.com', '/path', 'page.html?x#y', '//cdn.example.com/x.png', 'data:image/png;base64,iVBORw0KGgo=', 'data:audio/webm;base64,AAAA', 'data:video/mp4,x']) {
      expect(isSafeUrl(url), url).to.equal(true);
    }
  });

  it('refuses javascript:, vbscript:, blob:, SVG and HTML data: URLs, however they are spelled', () => {
    for (const url of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'java\nscript:alert(1)', '\u0001javascript:alert(1)', 'vbscript:x', 'blob:https://example.com/uuid', 'data:text/html,<script>alert(1)</script>', 'data:image/svg+xml,<svg onload=alert(1)>', 'file:///etc/passwd', 'http://[bad']) {
      expect(isSafeUrl(url), JSON.stringify(url)).to.equal(false);
    }
  });

  it('checks URLs only in the attributes that load or navigate', () => {
    expect(attributeValueProblem('href', 'javascript:alert(1)')).to.be.a('string');
    expect(attributeValueProblem('SRC', 'javascript:alert(1)')).to.be.a('string');
    expect(attributeValueProblem('formaction', 'javascript:alert(1)')).to.be.a('string');
    expect(attributeValueProblem('title', 'javascript:alert(1)')).to.equal(null);
    expect(attributeValueProblem('href', '/ok')).to.equal(null);
  });

  it('checks every value SVG animation could write into a link', () => {
    expect(attributeValueProblem('to', 'javascript:alert(1)')).to.be.a('string');
    expect(attributeValueProblem('values', '0;javascript:alert(1)')).to.be.a('string');
    expect(attributeValueProblem('values', '0;10;20')).to.equal(null);
    expect(attributeValueProblem('from', 'red')).to.equal(null);
  });
});

describe('declarative rules: errorView', () => {
  it('shows a reply error with its message, code and data', () => {
    const error = Object.assign(new Error('failed'), { name: 'ReplyError', code: 'fail', data: { why: 1 } });
    expect(errorView(error)).to.deep.equal({ message: 'failed', code: 'fail', data: { why: 1 } });
    expect(errorView(Object.assign(new Error('no'), { name: 'ReplyError' }))).to.deep.equal({ message: 'no' });
  });

  it('names a DOMException by its name, as its code', () => {
    expect(errorView(new DOMException('took too long', 'TimeoutError'))).to.deep.equal({ message: 'took too long', code: 'TimeoutError' });
    expect(errorView('plain')).to.deep.equal({ message: 'plain', code: 'Error' });
  });
});
