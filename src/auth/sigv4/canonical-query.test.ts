// The one-pass canonical query (pairs already in order) must equal the general encode-and-sort path.
import { describe, expect, it } from 'vitest';
import { canonicalQuery, scanQuery, type RawParamSink } from './canonical-query.js';

describe('canonical query', () => {
  it('sorts what is out of order, by encoded name then value', () => {
    expect(canonicalQuery('b=2&a=1&a=0', { presigned: false })).toBe('a=0&a=1&b=2');
    expect(canonicalQuery('a=1&b=2&a=0', { presigned: false })).toBe('a=0&a=1&b=2');
    expect(canonicalQuery('Z=1&a=1', { presigned: false })).toBe('Z=1&a=1');
    expect(canonicalQuery('a=1&Z=1', { presigned: false })).toBe('Z=1&a=1');
  });

  it('re-encodes, keeps names without a value, drops empty segments', () => {
    expect(canonicalQuery('&&x&y=a+b&%7e=%2f&&', { presigned: false })).toBe('x=&y=a%20b&~=%2F');
    expect(canonicalQuery('y=1&x', { presigned: false })).toBe('x=&y=1');
  });

  it('leaves out X-Amz-Signature only when presigned', () => {
    const q = 'X-Amz-Date=1&X-Amz-Signature=abc&X-Amz-SignedHeaders=host';
    expect(canonicalQuery(q, { presigned: true })).toBe('X-Amz-Date=1&X-Amz-SignedHeaders=host');
    expect(canonicalQuery(q, { presigned: false })).toBe(q);
    expect(canonicalQuery('b=1&X-Amz-Signature=z&a=2', { presigned: true })).toBe('a=2&b=1');
  });

  it('hands every raw pair to the sink, in order, whether or not the query is sorted', () => {
    const seen: string[] = [];
    const sink: RawParamSink = { take: (n, v) => void seen.push(`${n}|${v}`) };
    expect(scanQuery('b=%41&a&X-Amz-Signature=s', true, sink)).toBe('a=&b=A');
    expect(seen).toEqual(['b|%41', 'a|', 'X-Amz-Signature|s']);
  });
});
