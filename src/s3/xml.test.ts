// Tests for the XML helpers: escaping, url encoding-type, request parsing edge cases.
import { describe, expect, it } from 'vitest';
import { children, esc, parseXml, text, unquoteETag, urlEncodeKey } from './xml.js';

describe('xml', () => {
  it('escapes markup and control characters', () => {
    expect(esc('plain')).toBe('plain');
    expect(esc(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
    expect(esc('a\rb\u0001')).toBe('a&#13;b&#1;');
  });

  it('url-encodes keys keeping slashes', () => {
    expect(urlEncodeKey('a b/c+d%')).toBe('a%20b/c%2Bd%25');
  });

  it('parses a Delete body keeping whitespace and entities', () => {
    const r = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Quiet>true</Quiet>
  <Object><Key> a &amp;b&#13;</Key></Object>
  <Object><Key>x</Key><VersionId></VersionId></Object>
</Delete>`,
      'Delete',
    );
    expect(children(r, 'Object').map((o) => [text(o, 'Key'), text(o, 'VersionId')])).toEqual([
      [' a &b\r', undefined],
      ['x', ''],
    ]);
    expect(text(r, 'Quiet')).toBe('true');
  });

  it('parses empty elements and self-closing ones as empty text', () => {
    const t = parseXml('<Tagging><TagSet><Tag><Key>a</Key><Value/></Tag></TagSet></Tagging>', 'Tagging');
    const tags = children(children(t, 'TagSet')[0], 'Tag');
    expect(tags.map((x) => [text(x, 'Key'), text(x, 'Value')])).toEqual([['a', '']]);
  });

  it('rejects malformed XML and the wrong root', () => {
    expect(() => parseXml('<a><b></a>', 'a')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() => parseXml('<a/>', 'b')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() => parseXml('', 'b')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() => parseXml('not xml', 'b')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
  });

  it('unquotes ETags', () => {
    expect(unquoteETag('"abc"')).toBe('abc');
    expect(unquoteETag('W/"abc"')).toBe('abc');
    expect(unquoteETag('abc')).toBe('abc');
    expect(unquoteETag('&quot;abc&quot;')).toBe('abc');
  });
});
