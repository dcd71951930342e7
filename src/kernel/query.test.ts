import { describe, expect, it } from 'vitest';
import { QueryParams } from './query.js';

const same = (raw: string): void => {
  const ours = new QueryParams(raw);
  const theirs = new URLSearchParams(raw);
  expect([...ours], raw).toEqual([...theirs]);
  expect(ours.size, raw).toBe(theirs.size);
  for (const k of new Set(theirs.keys())) {
    expect(ours.get(k), raw).toBe(theirs.get(k));
    expect(ours.has(k), raw).toBe(true);
  }
  expect(ours.get('absent')).toBeNull();
  expect(ours.has('absent')).toBe(false);
};

describe('QueryParams', () => {
  it('decodes as URLSearchParams does', () => {
    for (const raw of [
      '',
      '?',
      'a',
      'a=',
      '=b',
      'uploads',
      'a=1&a=2&b',
      '&&a=1&&',
      'x=a+b%20c%2B',
      'k=%E2%82%AC%F0%9F%98%80',
      'bad=%ZZ%4',
      'trunc=%E2%82',
      'v=a=b=c',
      'list-type=2&prefix=photos%2F2026%2F&delimiter=%2F&max-keys=1000',
      'X-Amz-Credential=AK%2F20261123%2F%2Fs3%2Faws4_request&X-Amz-SignedHeaders=host',
      '%61=%62',
      '+=+',
      'response-content-disposition=attachment%3B%20filename%3D%22r%C3%A9sum%C3%A9.pdf%22',
    ])
      same(raw);
  });

  it('agrees with URLSearchParams on random queries', () => {
    const alphabet = [
      'a',
      'b',
      '=',
      '&',
      '+',
      '%',
      '2',
      'F',
      'e',
      '%C3%A9',
      '%E2',
      '%zz',
      ' ',
      'é',
      '😀',
      '?',
    ];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      let raw = '';
      const len = rand(20);
      for (let j = 0; j < len; j++) raw += alphabet[rand(alphabet.length)];
      same(raw);
    }
  });

  it('feeds the URLSearchParams constructor (iterable of pairs)', () => {
    expect(new URLSearchParams(new QueryParams('Action=ListUsers&Version=2010-05-08')).get('Action')).toBe(
      'ListUsers',
    );
  });
});
