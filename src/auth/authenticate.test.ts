// authenticate(): requests signed by an independent signer (@smithy/signature-v4, what the AWS SDK
// uses) must verify; tampered, expired, skewed or mis-scoped ones must not. SigV2 is checked on
// AWS's documented examples; bodies through wrapBody.
import { Readable } from 'node:stream';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { authenticate, signedService } from './authenticate.js';
import type { AuthenticateOptions, Credential, SignedRequest } from './types.js';

type Source = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Source): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The hash constructor smithy wants, over node:crypto. */
class Sha256 {
  private readonly h;
  constructor(secret?: Source) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: Source): void {
    this.h.update(bytes(d));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TMP = 'ASIATEMPORARYKEY0001';
const TOKEN = 'session-token-value';
const NOW = new Date('2026-11-22T10:00:00Z');
const principal = {
  kind: 'root',
  tenantId: 't1',
  accountId: '000000000000',
  accessKeyId: AK,
  arn: 'arn:aws:iam::000000000000:root',
} as const;
const creds: Record<string, Credential> = {
  [AK]: { accessKeyId: AK, secretAccessKey: SK, principal },
  [TMP]: {
    accessKeyId: TMP,
    secretAccessKey: SK,
    sessionToken: TOKEN,
    principal: {
      kind: 'session',
      tenantId: 't1',
      accountId: '000000000000',
      accessKeyId: TMP,
      arn: 'arn:aws:sts::000000000000:assumed-role/r/s',
      userId: 'u',
      userName: 'r',
      sessionName: 's',
      expiresAt: new Date('2026-11-22T11:00:00Z'),
    },
  },
};
const opts: AuthenticateOptions = { now: NOW, region: 'us-east-1', lookup: (id) => creds[id] };

/** S3-style key escaping (what the SDK puts on the wire): encodeURIComponent plus !'()*, '/' kept. */
const escapeKey = (k: string) =>
  k
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
    )
    .join('/');
const escQ = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

interface Spec {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  region?: string;
  service?: string;
  at?: Date;
  accessKeyId?: string;
  sessionToken?: string;
}

const toSigned = (r: {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
}): SignedRequest => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  const rawQuery = Object.entries(r.query ?? {})
    .map(([k, v]) => `${escQ(k)}=${escQ(String(v))}`)
    .join('&');
  return { method: r.method, rawPath: r.path, rawQuery, headers };
};

const signer = (s: Spec, applyChecksum = true) =>
  new SignatureV4({
    applyChecksum,
    credentials: {
      accessKeyId: s.accessKeyId ?? AK,
      secretAccessKey: SK,
      ...(s.sessionToken === undefined ? {} : { sessionToken: s.sessionToken }),
    },
    region: s.region ?? 'us-east-1',
    service: s.service ?? 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });

const base = (s: Spec) => ({
  method: s.method ?? 'GET',
  protocol: 'http:',
  hostname: 'localhost',
  port: 9000,
  path: s.path,
  query: s.query ?? {},
  headers: { host: 'localhost:9000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...s.headers },
});

async function sign(s: Spec): Promise<SignedRequest> {
  const r = await signer(s).sign(base(s), { signingDate: s.at ?? NOW });
  return toSigned(r);
}
/** Like @aws-sdk/s3-request-presigner: x-amz-content-sha256: UNSIGNED-PAYLOAD, hoisted into the query. */
async function presign(s: Spec, expiresIn = 3600): Promise<SignedRequest> {
  const r = await signer(s).presign(base(s), { signingDate: s.at ?? NOW, expiresIn });
  return toSigned(r);
}

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'ok';
};

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('SigV4 header auth, signed by @smithy/signature-v4', () => {
  it('accepts a plain GET and reports principal, service and payload', async () => {
    const a = authenticate(await sign({ path: '/bucket/key.txt' }), opts);
    // signedAt: the X-Amz-Date, for s3:signatureAge.
    expect(a.auth).toEqual({
      principal,
      authType: 'header',
      signatureVersion: 'AWS4-HMAC-SHA256',
      signedAt: NOW.getTime(),
    });
    expect(a.service).toBe('s3');
    expect(a.payload).toBe('unsigned');
  });

  it('accepts keys with characters clients escape differently', async () => {
    const key = "dir/a b+c!*'()~&$@=;:,?#[]é.txt";
    const req = await sign({
      path: '/bucket/' + escapeKey(key),
      query: { 'list-type': '2', prefix: 'a b/+' },
    });
    expect(code(() => authenticate(req, opts))).toBe('ok');
    // Same signature, but the path sent with !*'() unescaped (encodeURIComponent style).
    const loose = { ...req, rawPath: '/bucket/' + key.split('/').map(encodeURIComponent).join('/') };
    expect(code(() => authenticate(loose, opts))).toBe('ok');
    // '+' sent for a space in the query (form style) still reads as a space.
    const plus = { ...req, rawQuery: req.rawQuery.replace('a%20b', 'a+b') };
    expect(code(() => authenticate(plus, opts))).toBe('ok');
  });

  it('does not normalise the path: a//b and ./ are part of the key', async () => {
    const req = await sign({ path: '/bucket/a//b/./c' });
    expect(code(() => authenticate(req, opts))).toBe('ok');
    expect(code(() => authenticate({ ...req, rawPath: '/bucket/a/b/c' }, opts))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('rejects tampered header, path and query', async () => {
    const req = await sign({
      path: '/bucket/k',
      query: { versionId: '1' },
      headers: { 'x-amz-meta-a': 'b' },
    });
    expect(code(() => authenticate(req, opts))).toBe('ok');
    expect(code(() => authenticate({ ...req, headers: { ...req.headers, 'x-amz-meta-a': 'c' } }, opts))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(code(() => authenticate({ ...req, rawPath: '/bucket/k2' }, opts))).toBe('SignatureDoesNotMatch');
    expect(code(() => authenticate({ ...req, rawQuery: 'versionId=2' }, opts))).toBe('SignatureDoesNotMatch');
    expect(code(() => authenticate({ ...req, method: 'DELETE' }, opts))).toBe('SignatureDoesNotMatch');
  });

  it('includes the canonical request and string to sign in SignatureDoesNotMatch', async () => {
    const req = await sign({ path: '/bucket/k' });
    try {
      authenticate({ ...req, rawPath: '/bucket/x' }, opts);
      expect.unreachable();
    } catch (e) {
      const extra = (e as { extra: Record<string, string> }).extra;
      expect(extra.CanonicalRequest).toContain('/bucket/x');
      expect(extra.StringToSign).toMatch(/^AWS4-HMAC-SHA256\n/);
      expect(extra.StringToSignBytes).toMatch(/^41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a /);
      expect(Buffer.from((extra.CanonicalRequestBytes ?? '').replaceAll(' ', ''), 'hex').toString()).toBe(
        extra.CanonicalRequest,
      );
      expect(extra.AWSAccessKeyId).toBe(AK);
    }
  });

  it('checks time skew, region and key', async () => {
    const req16 = await sign({ path: '/b/k', at: new Date(NOW.getTime() - 16 * 60_000) });
    const req14 = await sign({ path: '/b/k', at: new Date(NOW.getTime() + 14 * 60_000) });
    const emptyRegion = await sign({ path: '/b/k', region: '' });
    const unknownKey = await sign({ path: '/b/k', accessKeyId: 'AKIANOSUCHKEY0000000' });
    expect(code(() => authenticate(req16, opts))).toBe('RequestTimeTooSkewed');
    expect(code(() => authenticate(req14, opts))).toBe('ok');
    const wrong = await sign({ path: '/b/k', region: 'eu-west-1' });
    try {
      authenticate(wrong, opts);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'AuthorizationHeaderMalformed', extra: { Region: 'us-east-1' } });
      expect((e as Error).message).toContain("the region 'eu-west-1' is wrong; expecting 'us-east-1'");
    }
    expect(code(() => authenticate(emptyRegion, opts))).toBe('ok');
    expect(code(() => authenticate(unknownKey, opts))).toBe('InvalidAccessKeyId');
  });

  it('requires host to be signed and x-amz-content-sha256 for S3', async () => {
    const req = await sign({ path: '/b/k' });
    const auth = String(req.headers.authorization).replace('SignedHeaders=host;', 'SignedHeaders=');
    expect(code(() => authenticate({ ...req, headers: { ...req.headers, authorization: auth } }, opts))).toBe(
      'AccessDenied',
    );
    const r2 = await sign({ path: '/b/k', headers: { 'x-amz-content-sha256': '' } });
    const { 'x-amz-content-sha256': _x, ...noHash } = r2.headers;
    expect(code(() => authenticate({ ...r2, headers: noHash }, opts))).toBe('InvalidRequest');
    expect(
      code(() =>
        authenticate(
          { ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } },
          opts,
        ),
      ),
    ).toBe('AuthorizationHeaderMalformed');
  });

  it('checks session tokens and session expiry', async () => {
    const good = await sign({ path: '/b/k', accessKeyId: TMP, sessionToken: TOKEN });
    expect(authenticate(good, opts).auth.principal.kind).toBe('session');
    const { 'x-amz-security-token': _t, ...noToken } = good.headers;
    expect(code(() => authenticate({ ...good, headers: noToken }, opts))).toBe('InvalidToken');
    const bad = await sign({ path: '/b/k', accessKeyId: TMP, sessionToken: 'other' });
    expect(code(() => authenticate(bad, opts))).toBe('InvalidToken');
    const stray = await sign({ path: '/b/k', sessionToken: TOKEN });
    expect(code(() => authenticate(stray, opts))).toBe('InvalidToken');
    const later = await sign({
      path: '/b/k',
      accessKeyId: TMP,
      sessionToken: TOKEN,
      at: new Date('2026-11-22T11:05:00Z'),
    });
    expect(code(() => authenticate(later, { ...opts, now: new Date('2026-11-22T11:05:00Z') }))).toBe(
      'ExpiredToken',
    );
  });

  it('checks a declared SHA-256 against the body', async () => {
    const body = Buffer.from('hello');
    const hash = createHash('sha256').update(body).digest('hex');
    const req = await sign({
      method: 'PUT',
      path: '/b/k',
      headers: { 'x-amz-content-sha256': hash, 'content-length': '5' },
    });
    const a = authenticate(req, opts);
    expect(a.payload).toBe('sha256');
    expect(a.contentLength).toBe(5);
    expect((await readAll(a.wrapBody(Readable.from([body])))).toString()).toBe('hello');
    await expect(readAll(a.wrapBody(Readable.from([Buffer.from('hellO')])))).rejects.toMatchObject({
      code: 'XAmzContentSHA256Mismatch',
    });
  });

  it('finishes IAM/STS verification over the body when x-amz-content-sha256 is absent', async () => {
    const body = 'Action=ListUsers&Version=2010-05-08';
    const r = await signer({ path: '/', service: 'iam' }, false).sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: 'localhost',
        path: '/',
        query: {},
        headers: {
          host: 'localhost:9000',
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(body.length),
        },
        body,
      },
      { signingDate: NOW },
    );
    const req = toSigned(r);
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    expect(signedService(req)).toBe('iam');
    const a = authenticate(req, opts);
    expect(a.service).toBe('iam');
    expect((await readAll(a.wrapBody(Readable.from([Buffer.from(body)])))).toString()).toBe(body);
    await expect(readAll(a.wrapBody(Readable.from([Buffer.from(body + '&x=1')])))).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('decodes an unsigned-trailer aws-chunked body (what the SDK streams)', async () => {
    const req = await sign({
      method: 'PUT',
      path: '/b/k',
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '12',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    const a = authenticate(req, opts);
    expect(a.payload).toBe('streaming-unsigned-trailer');
    expect(a.contentLength).toBe(12);
    const out = await readAll(
      a.wrapBody(
        Readable.from([Buffer.from('c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:gtnkmQ==\r\n\r\n')]),
      ),
    );
    expect(out.toString()).toBe('hello stream');
    expect(a.trailers()).toEqual({ 'x-amz-checksum-crc32': 'gtnkmQ==' });
  });
});

describe('SigV4 presigned URLs', () => {
  it('accepts a presigned GET and rejects tampering and expiry', async () => {
    const req = await presign(
      { path: '/b/photo.jpg', query: { 'response-content-type': 'image/jpeg' } },
      600,
    );
    const a = authenticate(req, opts);
    expect(a.auth.authType).toBe('presigned');
    expect(a.payload).toBe('unsigned');
    expect(signedService(req)).toBe('s3');
    expect(req.rawQuery).toContain('x-amz-content-sha256=UNSIGNED-PAYLOAD');
    expect(code(() => authenticate({ ...req, rawPath: '/b/other.jpg' }, opts))).toBe('SignatureDoesNotMatch');
    expect(
      code(() =>
        authenticate({ ...req, rawQuery: req.rawQuery.replace('image%2Fjpeg', 'text%2Fhtml') }, opts),
      ),
    ).toBe('SignatureDoesNotMatch');
    expect(code(() => authenticate(req, { ...opts, now: new Date(NOW.getTime() + 601_000) }))).toBe(
      'AccessDenied',
    );
    expect(code(() => authenticate(req, { ...opts, now: new Date(NOW.getTime() - 3600_000) }))).toBe(
      'AccessDenied',
    );
  });

  it('rejects X-Amz-Expires beyond a week and a wrong region', async () => {
    const req = await presign({ path: '/b/k' }, 600);
    const week = { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=600', 'X-Amz-Expires=604801') };
    expect(code(() => authenticate(week, opts))).toBe('AuthorizationQueryParametersError');
    const eu = await presign({ path: '/b/k', region: 'eu-west-1' }, 600);
    expect(code(() => authenticate(eu, opts))).toBe('AuthorizationQueryParametersError');
  });

  it('refuses two auth mechanisms at once', async () => {
    const req = await presign({ path: '/b/k' }, 600);
    expect(
      code(() => authenticate({ ...req, headers: { ...req.headers, authorization: 'AWS x:y' } }, opts)),
    ).toBe('InvalidArgument');
  });
});

describe('SigV2 (AWS RESTAuthentication examples)', () => {
  const v2opts: AuthenticateOptions = { ...opts, now: new Date('2007-03-27T19:40:00Z') };
  it('accepts the documented GET, virtual-hosted and path style', () => {
    const headers = {
      host: 'johnsmith.s3.amazonaws.com',
      date: 'Tue, 27 Mar 2007 19:36:42 +0000',
      authorization: `AWS ${AK}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`,
    };
    const vh: SignedRequest = {
      method: 'GET',
      rawPath: '/photos/puppy.jpg',
      rawQuery: '',
      headers,
      hostBucket: 'johnsmith',
    };
    expect(authenticate(vh, v2opts).auth.signatureVersion).toBe('AWS2');
    const ps: SignedRequest = {
      method: 'GET',
      rawPath: '/johnsmith/photos/puppy.jpg',
      rawQuery: '',
      headers,
    };
    expect(code(() => authenticate(ps, v2opts))).toBe('ok');
    expect(code(() => authenticate({ ...ps, rawPath: '/johnsmith/photos/kitten.jpg' }, v2opts))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(code(() => authenticate(ps, opts))).toBe('RequestTimeTooSkewed');
  });

  it('accepts the documented query-string form until it expires', () => {
    const req: SignedRequest = {
      method: 'GET',
      rawPath: '/johnsmith/photos/puppy.jpg',
      rawQuery: `AWSAccessKeyId=${AK}&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620`,
      headers: { host: 's3.amazonaws.com' },
    };
    expect(authenticate(req, v2opts).auth.authType).toBe('presigned');
    expect(code(() => authenticate(req, opts))).toBe('AccessDenied');
  });
});

describe('anonymous and routing', () => {
  it('treats an unsigned request as anonymous', () => {
    const a = authenticate({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers: { host: 'x' } }, opts);
    expect(a.auth).toEqual({
      principal: { kind: 'anonymous' },
      authType: 'anonymous',
      signatureVersion: 'none',
    });
    expect(a.service).toBe('s3');
  });
  it('signedService reads the scope without verifying', () => {
    const headers = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AK/20261122//sts/aws4_request, SignedHeaders=host, Signature=00',
    };
    expect(signedService({ method: 'POST', rawPath: '/', rawQuery: '', headers })).toBe('sts');
    expect(signedService({ method: 'GET', rawPath: '/', rawQuery: '', headers: {} })).toBeUndefined();
  });
});
