// Unit tests of CORS rule matching and preflight answers.
import { describe, expect, it } from 'vitest';
import type { BucketRecord } from '../../meta/ports.js';
import { corsHeaders, matchCorsRule, preflight } from './cors.js';

const bucket: BucketRecord = {
  name: 'b',
  tenantId: 't',
  owner: 'o',
  createdAt: new Date(0),
  region: 'us-east-1',
  tags: [],
  cors: [
    {
      allowedOrigins: ['https://*.example.com'],
      allowedMethods: ['GET', 'PUT'],
      allowedHeaders: ['x-amz-*', 'content-type'],
      exposeHeaders: ['ETag'],
      maxAgeSeconds: 600,
    },
    { allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [] },
  ],
};

describe('cors', () => {
  it('matches origins with one wildcard, methods and headers', () => {
    const rules = bucket.cors ?? [];
    expect(matchCorsRule(rules, 'https://app.example.com', 'PUT', ['x-amz-date', 'content-type'])?.rule).toBe(
      rules[0],
    );
    expect(matchCorsRule(rules, 'https://app.example.com', 'PUT', ['authorization'])).toBeUndefined();
    expect(matchCorsRule(rules, 'https://other.org', 'GET', [])?.rule).toBe(rules[1]);
    expect(matchCorsRule(rules, 'https://other.org', 'DELETE', [])).toBeUndefined();
  });
  it('answers preflight with the rule’s headers, or 403', () => {
    const r = preflight(bucket, {
      origin: 'https://app.example.com',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'X-Amz-Date, Content-Type',
    });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-methods']).toBe('GET, PUT');
    expect(r.headers['access-control-allow-headers']).toBe('x-amz-date, content-type');
    expect(r.headers['access-control-max-age']).toBe(600);
    expect(() =>
      preflight(bucket, { origin: 'https://x.org', 'access-control-request-method': 'PUT' }),
    ).toThrow(expect.objectContaining({ code: 'AccessForbidden' }));
    expect(() =>
      preflight(
        { name: 'b', tenantId: 't', owner: 'o', createdAt: new Date(0), region: 'us-east-1', tags: [] },
        {
          origin: 'a',
          'access-control-request-method': 'GET',
        },
      ),
    ).toThrow(expect.objectContaining({ code: 'AccessForbidden' }));
  });
  it('adds headers to actual requests whose origin matches', () => {
    expect(corsHeaders(bucket, 'https://z.org', 'GET')?.['access-control-allow-origin']).toBe('*');
    expect(corsHeaders(bucket, undefined, 'GET')).toBeUndefined();
  });
});
