// Keeps docs/s3-compatibility.md in step with the operation table.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCompatibilityDoc } from './compat-doc.js';
import { operationNames } from './operations.js';

const path = new URL('../../docs/s3-compatibility.md', import.meta.url);

describe('docs/s3-compatibility.md', () => {
  it('is generated from the operation table', () => {
    const expected = renderCompatibilityDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(path, expected);
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
  it('lists every operation', () => {
    const doc = readFileSync(path, 'utf8');
    for (const name of operationNames) expect(doc).toContain(`| ${name} |`);
  });
});
