// Tests for the XML helpers: escaping, url encoding-type, request parsing edge cases.
import { describe, expect, it } from 'vitest';
import { children, esc, isoTimeMs, parseXml, text, unquoteETag, urlEncodeKey } from './xml.js';

describe('xml', () => {
  it('escapes markup and control characters', () => {
    expect(esc('plain')).toBe('plain');
    expect(esc(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
    expect(esc('a\rb\u0001')).toBe('a&#13;b&#1;');
  });

  it('formats epoch milliseconds exactly as Date.toISOString', () => {
    const samples = [
      0, 1, 999, 59_999, 60_000, 1_700_000_000_456, 1_700_000_059_999, 1_700_000_060_000, -1, -60_000,
      -60_001, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 1.5,
      8.64e15,
    ];
    let ms = 1_600_000_000_000;
    for (let i = 0; i < 2000; i++) samples.push((ms += (i * 7919) % 90_001));
    for (const m of samples) expect(isoTimeMs(m), String(m)).toBe(new Date(m).toISOString());
    expect(() => isoTimeMs(Number.NaN)).toThrow(RangeError);
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
