// Keeps docs/errors.md in step with the error catalogue.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from './codes.js';
import { renderErrorsDoc } from './doc.js';

const path = new URL('../../docs/errors.md', import.meta.url);

describe('docs/errors.md', () => {
  it('is generated from the error catalogue', () => {
    const expected = renderErrorsDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(path, expected);
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
  it('lists every code with its status', () => {
    const doc = readFileSync(path, 'utf8');
    for (const [code, e] of Object.entries(errorCatalogue))
      expect(doc).toContain(`| \`${code}\` | ${e.status} |`);
  });
});
