// The auth benchmark (issue 3): the per-request cost of SigV4 verification plus the policy decision
// for a GetObject, run through the same functions the S3 surface uses (resolve → authenticate →
// authorizeRequest), with 10 and with 10,000 users and managed policies loaded. The cost must not
// grow with the number of identities: the auth path reads only in-memory caches.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignatureV4 } from '@smithy/signature-v4';
import { authenticate } from '../auth/authenticate.js';
import type { RequestContext } from '../kernel/request-context.js';
import { QueryParams } from '../kernel/query.js';
import type { BucketRecord } from '../meta/ports.js';
import { SqliteIdentityStore } from '../meta/sqlite/iam-store.js';
import { IdentityCache } from '../iam/identity-cache.js';
import { createIdentityAuthorizer } from '../iam/authorizer.js';
import { SecretBox, generateAccessKeyId, generateEntityId, generateSecretAccessKey } from '../iam/secrets.js';
import { authorizeRequest } from '../s3/api/authorization.js';
import { resolve } from '../s3/resolve.js';

const REGION = 'us-east-1';
const TENANT = 'default';
const ACCOUNT = '000000000000';

/** A node-crypto hash in the shape @smithy/signature-v4 expects (HMAC when given a secret). */
class NodeSha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.h.digest());
  }
}

interface Loaded {
  authorize: ReturnType<typeof createIdentityAuthorizer>;
  lookup: IdentityCache['lookup'];
  users: { accessKeyId: string; secret: string; bucket: string }[];
  close(): Promise<void>;
}

/** Loads n users, each with an access key and its own attached managed policy, through the store. */
async function load(n: number): Promise<Loaded> {
  const store = new SqliteIdentityStore({ db: ':memory:', defaultTenant: { accountId: ACCOUNT } });
  const box = new SecretBox(randomBytes(32));
  const rootKey = 'BENCHROOTKEY00000000';
  const now = new Date();
  const users: Loaded['users'] = [];
  for (let i = 0; i < n; i++) {
    const userId = generateEntityId('AIDA');
    const name = `user${i}`;
    await store.createUser({
      tenantId: TENANT,
      id: userId,
      name,
      path: '/',
      status: 'Active',
      tags: [],
      createdAt: now,
    });
    const accessKeyId = generateAccessKeyId('long-term', 0);
    const secret = generateSecretAccessKey();
    await store.createAccessKey(
      {
        accessKeyId,
        tenantId: TENANT,
        userId,
        secretCipher: box.seal(secret, accessKeyId),
        status: 'Active',
        kind: 'long-term',
        createdAt: now,
      },
      { maxPerOwner: 2 },
    );
    const bucket = `bucket-${i % 100}`;
    const arn = `arn:aws:iam::${ACCOUNT}:policy/p${i}`;
    await store.createPolicy({
      tenantId: TENANT,
      id: generateEntityId('ANPA'),
      name: `p${i}`,
      path: '/',
      arn,
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Read',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          },
          { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:*', Resource: `arn:aws:s3:::${bucket}/secret/*` },
        ],
      }),
      createdAt: now,
    });
    await store.attachPolicy(TENANT, { kind: 'user', id: userId }, arn, 10);
    users.push({ accessKeyId, secret, bucket });
  }
  const cache = await IdentityCache.create({
    store,
    box,
    rootAccessKeyId: rootKey,
    rootSecret: 'x'.repeat(40),
  });
  return {
    authorize: createIdentityAuthorizer(cache),
    lookup: cache.lookup,
    users,
    close: () => store.close(),
  };
}

interface Prepared {
  headers: Record<string, string>;
  rawPath: string;
  bucket: BucketRecord;
}

async function sign(u: Loaded['users'][number], key: string): Promise<Prepared> {
  const signer = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secret },
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const rawPath = `/${u.bucket}/${key}`;
  // What @aws-sdk/client-s3 sends for a GetObject: signed host, content hash, date, SDK headers.
  const signed = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: rawPath,
    query: {},
    headers: {
      host: '127.0.0.1:9000',
      'x-amz-content-sha256': createHash('sha256').update('').digest('hex'),
      'amz-sdk-invocation-id': '5a4f7e7c-2a36-4f9b-9d3c-0e6b3f2f6c1a',
      'amz-sdk-request': 'attempt=1; max=3',
      'user-agent': 'aws-sdk-js/3 bench',
    },
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v);
  const bucket: BucketRecord = {
    name: u.bucket,
    tenantId: TENANT,
    owner: `arn:aws:iam::${ACCOUNT}:root`,
    createdAt: new Date(),
    region: REGION,
    tags: [],
  };
  return { headers, rawPath, bucket };
}

/** One request through the surface's own steps: resolve, verify SigV4, decide. Returns the effect. */
function decideOnce(l: Loaded, p: Prepared): string {
  const ctx = {
    requestId: 'BENCH',
    receivedAt: new Date(),
    req: undefined as unknown as IncomingMessage,
    res: undefined as unknown as ServerResponse,
    method: 'GET',
    rawUrl: p.rawPath,
    rawPath: p.rawPath,
    rawQuery: '',
    query: new QueryParams(''),
    headers: p.headers,
    remoteAddress: '127.0.0.1',
    secure: false,
    host: '127.0.0.1:9000',
  } satisfies RequestContext;
  const request = resolve({
    method: 'GET',
    rawPath: p.rawPath,
    query: ctx.query,
    headers: p.headers,
    host: ctx.host,
    domain: undefined,
  });
  const auth = authenticate(
    { method: 'GET', rawPath: p.rawPath, rawQuery: '', headers: p.headers },
    { now: ctx.receivedAt, region: REGION, lookup: l.lookup },
  );
  let effect = 'allow';
  try {
    authorizeRequest({ authorize: l.authorize, onDecision: undefined }, ctx, request, auth, p.bucket, {
      bucket: { tenantId: TENANT },
      copySource: undefined,
    });
  } catch {
    effect = 'deny';
  }
  return effect;
}

interface Result {
  users: number;
  /** How many distinct users sign the measured requests (the working set). */
  active: number;
  p50: number;
  p99: number;
  mean: number;
  loadMs: number;
}

async function measure(n: number, active: number, iterations: number): Promise<Result> {
  const t0 = performance.now();
  const l = await load(n);
  const loadMs = performance.now() - t0;
  // 1000 distinct signed requests from random users (allowed and, for secret/ keys, denied).
  const prepared: Prepared[] = [];
  for (let i = 0; i < 1000; i++) {
    const u = l.users[Math.floor(Math.random() * active)]!;
    prepared.push(await sign(u, i % 10 === 0 ? `secret/${i}.txt` : `photos/${i}.jpg`));
  }
  // Check the verdicts are real before timing them.
  for (const [i, p] of prepared.entries()) {
    const expected = i % 10 === 0 ? 'deny' : 'allow';
    if (decideOnce(l, p) !== expected) throw new Error(`auth bench: request ${i} was not ${expected}`);
  }
  for (let i = 0; i < 20_000; i++) decideOnce(l, prepared[i % prepared.length]!);
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const p = prepared[i % prepared.length]!;
    const s = performance.now();
    decideOnce(l, p);
    samples[i] = (performance.now() - s) * 1000;
  }
  await l.close();
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    users: n,
    active,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    loadMs,
  };
}

export async function runAuthBench(options: { quick: boolean; out?: string }): Promise<string> {
  const iterations = options.quick ? 20_000 : 100_000;
  const small = await measure(10, 10, iterations);
  // Same working set as `small` but 10,000 identities loaded: isolates "how many exist" from "how
  // many are in use" (CPU caches make a wider working set cost a little more, whatever is loaded).
  const largeHot = await measure(10_000, 10, iterations);
  const large = await measure(10_000, 1000, iterations);
  const f = (x: number): string => x.toFixed(1);
  const lines = [
    '',
    `Auth: SigV4 header verification + policy decision of a GetObject, in process (resolve → authenticate → authorizeRequest), ${iterations} requests over 1000 distinct signed requests; 10 % hit an explicit Deny.`,
    '',
    '| identities loaded | users signing | p50 µs | p99 µs | mean µs | target |',
    '|--:|--:|--:|--:|--:|:--|',
    ...[small, largeHot, large].map(
      (r) =>
        `| ${r.users.toLocaleString('en-US')} users + ${r.users.toLocaleString('en-US')} policies | ${r.active.toLocaleString('en-US')} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.mean)} | p50 < 50 µs ${r.p50 < 50 ? '✓' : '✗'} |`,
    ),
    '',
    `p50 ratios: 10,000 loaded / 10 loaded, same 10 signers: ${(largeHot.p50 / small.p50).toFixed(2)} ` +
      `(the number of identities loaded); 1,000 signers / 10 signers: ${(large.p50 / largeHot.p50).toFixed(2)} (the working set).`,
  ];
  const text = lines.join('\n') + '\n';
  if (options.out !== undefined) {
    mkdirSync(join(options.out, '..'), { recursive: true });
    writeFileSync(options.out, text);
  }
  return text;
}

// Run directly: `node dist/bench/auth.js [--quick]`.
if (process.argv[1]?.endsWith('auth.js')) {
  runAuthBench({
    quick: process.argv.includes('--quick'),
    out: join(process.cwd(), '.bench', 'auth.md'),
  }).then(
    (t) => process.stdout.write(t),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
