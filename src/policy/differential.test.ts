// Differential test: thousands of random policies/requests/contexts decided by this engine and by
// @cloud-copilot/iam-simulate (AGPL oracle, test-only); the verdicts must agree. Each case has its
// own seed (base + i) and a failure prints it: POLICY_DIFF_SEED=<seed> POLICY_DIFF_CASES=1 reproduces.
import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { compilePolicy } from './parse.js';
import type { DecisionEffect, EvalPrincipal, PolicyRef } from './types.js';

/** mulberry32: tiny deterministic PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCT = '111111111111';
const OTHER = '222222222222';

type Kind = 'string' | 'numeric' | 'date' | 'epoch' | 'bool' | 'ip' | 'arn' | 'multi';
interface KeyDef {
  key: string;
  kind: Kind;
  values: readonly string[];
  /** Actions the key applies to (undefined: global key, applies to all). */
  actions?: readonly string[];
}

const users = {
  alice: `arn:aws:iam::${ACCT}:user/alice`,
  bob: `arn:aws:iam::${ACCT}:user/team/bob`,
  carol: `arn:aws:iam::${OTHER}:user/carol`,
  /** An assumed-role session of role `app`. */
  app: `arn:aws:sts::${ACCT}:assumed-role/app/sess1`,
};
const appRole = `arn:aws:iam::${ACCT}:role/app`;

const keyDefs: readonly KeyDef[] = [
  { key: 'aws:PrincipalTag/team', kind: 'string', values: ['red', 'blue', 'Red', 'green'] },
  { key: 'aws:UserAgent', kind: 'string', values: ['aws-cli/2.9', 'boto3/1.0', 'rclone/v1.60', 'curl/8'] },
  {
    key: 'aws:Referer',
    kind: 'string',
    values: ['https://example.com/x', 'https://evil.test/', 'http://example.com/'],
  },
  {
    key: 's3:prefix',
    kind: 'string',
    values: ['home/alice/', 'home/bob/', 'public/', '', 'home/'],
    actions: ['s3:ListBucket', 's3:ListBucketVersions'],
  },
  {
    key: 's3:delimiter',
    kind: 'string',
    values: ['/', '|'],
    actions: ['s3:ListBucket', 's3:ListBucketVersions'],
  },
  {
    key: 's3:max-keys',
    kind: 'numeric',
    values: ['1', '10', '100', '1000', '2.5'],
    actions: ['s3:ListBucket', 's3:ListBucketVersions'],
  },
  {
    key: 's3:x-amz-acl',
    kind: 'string',
    values: ['private', 'public-read', 'bucket-owner-full-control'],
    actions: ['s3:PutObject'],
  },
  {
    key: 'aws:CurrentTime',
    kind: 'date',
    values: ['2024-01-01T00:00:00Z', '2024-06-15T12:30:00Z', '2025-01-01T00:00:00Z', '2023-12-31T23:59:59Z'],
  },
  { key: 'aws:EpochTime', kind: 'epoch', values: ['1700000000', '1704067200', '1718454600', '1735689600'] },
  { key: 'aws:SecureTransport', kind: 'bool', values: ['true', 'false'] },
  { key: 'aws:MultiFactorAuthPresent', kind: 'bool', values: ['true', 'false'] },
  {
    key: 'aws:SourceIp',
    kind: 'ip',
    values: [
      '10.0.0.1',
      '10.1.2.3',
      '192.168.1.20',
      '203.0.113.9',
      '2001:db8::1',
      '2001:db8:1::5',
      'fe80::1',
    ],
  },
  { key: 'aws:PrincipalArn', kind: 'arn', values: Object.values(users) },
  { key: 'aws:TagKeys', kind: 'multi', values: ['env', 'team', 'owner', 'Env'] },
];

const ipPolicyValues = [
  '10.0.0.0/8',
  '10.0.0.1/32',
  '192.168.0.0/16',
  '203.0.113.9/32',
  '2001:db8::/32',
  '2001:db8:1::/48',
  '128.0.0.0/1',
];
const datePolicyValues = ['2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z', '2024-12-31T00:00:00Z'];
const epochPolicyValues = ['1704067200', '1717200000', '1735603200'];
const numericPolicyValues = ['1', '10', '100', '500', '2.5'];
const arnPolicyValues = [
  `arn:aws:iam::${ACCT}:user/*`,
  `arn:aws:iam::${ACCT}:user/alice`,
  `arn:aws:iam::*:user/carol`,
  `arn:aws:iam::${ACCT}:user/team/*`,
  'arn:aws:iam::*:user/?ob',
  `arn:aws:iam::${ACCT}:user/\${aws:username}`,
];
const stringPatterns = [
  'home/*',
  'home/${aws:username}/*',
  'public/',
  'r*',
  '*e*',
  '?lue',
  'aws-cli/*',
  'https://example.com/*',
  '${aws:username}',
  "${aws:PrincipalTag/team, 'red'}",
];

const objectActions = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:GetObjectTagging',
  's3:PutObjectTagging',
];
const bucketActions = [
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:GetBucketPolicy',
  's3:PutBucketPolicy',
  's3:DeleteBucket',
  's3:GetBucketTagging',
];
const actionPatterns = [
  ...objectActions,
  ...bucketActions,
  's3:*',
  '*',
  's3:Get*',
  's3:Put*',
  's3:*Object',
  's3:List*',
  's3:*Tagging',
  's3:List?ucket',
  'S3:getobject',
  's3:DeleteObject*',
  'iam:GetUser',
];
const buckets = ['photos', 'logs', 'data-1'];
const keyParts = ['home', 'alice', 'bob', 'public', 'a.txt', 'x', 'red', 'img.png'];
const resourcePatterns = [
  '*',
  'arn:aws:s3:::*',
  'arn:aws:s3:::photos',
  'arn:aws:s3:::photos/*',
  'arn:aws:s3:::logs/*',
  'arn:aws:s3:::ph*',
  'arn:aws:s3:::data-?',
  'arn:aws:s3:::data-?/*',
  'arn:aws:s3:::*/home/${aws:username}/*',
  'arn:aws:s3:::photos/home/${aws:username}/*',
  'arn:aws:s3:::logs/${aws:PrincipalTag/team}/*',
  "arn:aws:s3:::logs/${aws:PrincipalTag/team, 'red'}/*",
  'arn:aws:s3:::*/*.png',
  'arn:aws:s3:::photos/public/*',
  'arn:aws:s3:::*x',
  'arn:*:s3:::logs*',
];

interface Gen {
  r: () => number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  int(n: number): number;
}

function gen(seed: number): Gen {
  const r = mulberry32(seed);
  const int = (n: number): number => Math.floor(r() * n);
  return { r, int, pick: (xs) => xs[int(xs.length)] as (typeof xs)[number], chance: (p) => r() < p };
}

function some<T>(g: Gen, xs: readonly T[], max: number): T[] {
  const n = 1 + g.int(max);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(g.pick(xs));
  return [...new Set(out)];
}

const one = <T>(g: Gen, xs: T[]): T | T[] => (xs.length === 1 && g.chance(0.5) ? (xs[0] as T) : xs);

function conditionBlock(g: Gen): Record<string, Record<string, string | string[]>> {
  const block: Record<string, Record<string, string | string[]>> = {};
  const n = 1 + g.int(2);
  for (let i = 0; i < n; i++) {
    const def = g.pick(keyDefs);
    let op: string;
    let values: string[];
    switch (def.kind) {
      case 'string':
        op = g.pick([
          'StringEquals',
          'StringNotEquals',
          'StringEqualsIgnoreCase',
          'StringNotEqualsIgnoreCase',
          'StringLike',
          'StringNotLike',
        ]);
        values = some(g, [...def.values, ...(op.includes('Like') ? stringPatterns : ['${aws:username}'])], 2);
        break;
      case 'numeric':
        op = g.pick([
          'NumericEquals',
          'NumericNotEquals',
          'NumericLessThan',
          'NumericLessThanEquals',
          'NumericGreaterThan',
          'NumericGreaterThanEquals',
        ]);
        values = some(g, numericPolicyValues, 2);
        break;
      case 'date':
      case 'epoch':
        op = g.pick([
          'DateEquals',
          'DateNotEquals',
          'DateLessThan',
          'DateLessThanEquals',
          'DateGreaterThan',
          'DateGreaterThanEquals',
        ]);
        values = some(
          g,
          def.kind === 'date' ? [...datePolicyValues, ...def.values] : [...epochPolicyValues, ...def.values],
          2,
        );
        break;
      case 'bool':
        op = 'Bool';
        values = [g.pick(['true', 'false'])];
        break;
      case 'ip':
        op = g.pick(['IpAddress', 'NotIpAddress']);
        values = some(g, ipPolicyValues, 2);
        break;
      case 'arn':
        op = g.pick(['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'StringLike', 'StringEquals']);
        values = some(g, arnPolicyValues, 2);
        break;
      case 'multi':
        op = g.pick(['StringEquals', 'StringLike', 'StringNotEquals', 'StringEqualsIgnoreCase']);
        values = some(g, [...def.values, 'e*', 't?am'], 3);
        break;
    }
    if (def.kind === 'multi' || g.chance(0.15)) {
      if (def.kind === 'multi' || def.kind === 'string')
        op = `${g.pick(['ForAnyValue', 'ForAllValues'])}:${op}`;
    } else if (g.chance(0.2) && op !== 'Bool') {
      op += 'IfExists';
    }
    if (g.chance(0.08)) {
      op = 'Null';
      values = [g.pick(['true', 'false'])];
    }
    (block[op] ??= {})[def.key] = one(g, values);
  }
  return block;
}

type Principal = Record<string, string | string[]> | '*';

function statement(
  g: Gen,
  index: number,
  opts: { resourcePolicy: boolean; effectAllowP: number },
): Record<string, unknown> {
  const s: Record<string, unknown> = { Effect: g.chance(opts.effectAllowP) ? 'Allow' : 'Deny' };
  if (g.chance(0.3)) s.Sid = `S${index}n${g.int(100)}`;
  s[g.chance(0.1) ? 'NotAction' : 'Action'] = one(g, some(g, actionPatterns, 3));
  s[g.chance(0.1) ? 'NotResource' : 'Resource'] = one(g, some(g, resourcePatterns, 2));
  if (opts.resourcePolicy) {
    const principals: Principal[] = [
      '*',
      { AWS: '*' },
      { AWS: ACCT },
      { AWS: `arn:aws:iam::${ACCT}:root` },
      { AWS: users.alice },
      { AWS: [users.carol, users.bob] },
      { AWS: `arn:aws:iam::${OTHER}:root` },
      { AWS: users.carol },
      { AWS: appRole },
      { AWS: users.app },
      { AWS: [appRole, users.alice] },
    ];
    // NotPrincipal only with Deny and ARNs (its documented use).
    if (s.Effect === 'Deny' && g.chance(0.1)) s.NotPrincipal = g.pick(principals.slice(4));
    else s.Principal = g.pick(principals);
  }
  if (g.chance(0.45)) s.Condition = conditionBlock(g);
  return s;
}

function policy(
  g: Gen,
  opts: { resourcePolicy: boolean; effectAllowP: number; max: number },
): Record<string, unknown> {
  const n = 1 + g.int(opts.max);
  const statements = Array.from({ length: n }, (_, i) => statement(g, i, opts));
  return {
    Version: '2012-10-17',
    Statement: statements.length === 1 && g.chance(0.3) ? statements[0] : statements,
  };
}

interface Case {
  seed: number;
  principal: 'anonymous' | keyof typeof users;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  identity: Record<string, unknown>[];
  resourcePolicy?: Record<string, unknown>;
  boundary?: Record<string, unknown>;
  session?: Record<string, unknown>;
}

function makeCase(seed: number): Case {
  const g = gen(seed);
  const principal = g.chance(0.06) ? 'anonymous' : g.pick(['alice', 'alice', 'bob', 'carol', 'app'] as const);
  const isObject = g.chance(0.55);
  const action = g.pick(isObject ? objectActions : bucketActions);
  const bucket = g.pick(buckets);
  const key = Array.from({ length: 1 + g.int(3) }, () => g.pick(keyParts)).join('/');
  const resource = isObject ? `arn:aws:s3:::${bucket}/${key}` : `arn:aws:s3:::${bucket}`;
  const context: Record<string, string | string[]> = {};
  if (principal !== 'anonymous') {
    context['aws:username'] = principal;
    context['aws:PrincipalArn'] = principal === 'app' ? appRole : users[principal];
    context['aws:PrincipalAccount'] = principal === 'carol' ? OTHER : ACCT;
  }
  for (const def of keyDefs) {
    if (def.key === 'aws:PrincipalArn') continue;
    if (def.actions && !def.actions.includes(action)) continue;
    if (!g.chance(0.6)) continue;
    if (principal === 'anonymous' && def.key.startsWith('aws:PrincipalTag')) continue;
    context[def.key] = def.kind === 'multi' ? some(g, def.values, 3).slice(0, g.int(4)) : g.pick(def.values);
  }
  const c: Case = { seed, principal, action, resource, context, identity: [] };
  if (principal !== 'anonymous') {
    const n = g.int(3) + (g.chance(0.8) ? 1 : 0);
    for (let i = 0; i < n; i++)
      c.identity.push(policy(g, { resourcePolicy: false, effectAllowP: 0.75, max: 3 }));
    if (g.chance(0.25)) c.boundary = policy(g, { resourcePolicy: false, effectAllowP: 0.85, max: 2 });
    if (principal === 'app' && g.chance(0.4))
      c.session = policy(g, { resourcePolicy: false, effectAllowP: 0.85, max: 2 });
  }
  if (principal === 'anonymous' || principal === 'carol' || g.chance(0.35)) {
    c.resourcePolicy = policy(g, { resourcePolicy: true, effectAllowP: 0.75, max: 3 });
  }
  return c;
}

const verdict: Record<DecisionEffect, string> = {
  allow: 'Allowed',
  explicitDeny: 'ExplicitlyDenied',
  implicitDeny: 'ImplicitlyDenied',
};

function ours(c: Case, ignored: readonly string[]): string {
  const ign = new Set(ignored.map((k) => k.toLowerCase()));
  const context = Object.fromEntries(Object.entries(c.context).filter(([k]) => !ign.has(k.toLowerCase())));
  const principal: EvalPrincipal =
    c.principal === 'anonymous'
      ? { arn: '*', account: '', anonymous: true }
      : {
          arn: users[c.principal],
          account: c.principal === 'carol' ? OTHER : ACCT,
          ...(c.principal === 'app' ? { roleArn: appRole } : {}),
        };
  const ref = (doc: unknown, id: string, kind: 'identity' | 'resource'): PolicyRef => ({
    id,
    policy: compilePolicy(doc, { kind }),
  });
  const d = evaluate({
    principal,
    action: c.action,
    resource: c.resource,
    resourceAccount: ACCT,
    context,
    identityPolicies: c.identity.map((p, i) => ref(p, `p${i}`, 'identity')),
    ...(c.resourcePolicy ? { resourcePolicy: ref(c.resourcePolicy, 'bucket', 'resource') } : {}),
    ...(c.boundary ? { permissionsBoundary: ref(c.boundary, 'boundary', 'identity') } : {}),
    ...(c.session ? { sessionPolicies: [ref(c.session, 'session', 'identity')] } : {}),
  });
  return verdict[d.effect];
}

async function theirs(c: Case): Promise<{ result: string; ignored: string[] } | { error: string }> {
  const sim: Simulation = {
    request: {
      principal: c.principal === 'anonymous' ? anonymousPrincipal : users[c.principal],
      action: c.action,
      resource: { resource: c.resource, accountId: ACCT },
      contextVariables: c.context,
    },
    identityPolicies: c.identity.map((p, i) => ({ name: `p${i}`, policy: p })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(c.resourcePolicy ? { resourcePolicy: c.resourcePolicy } : {}),
    ...(c.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: c.boundary }] } : {}),
    ...(c.session ? { sessionPolicy: c.session } : {}),
  };
  const r = await runSimulation(sim, {});
  if (r.resultType === 'error') return { error: JSON.stringify(r.errors) };
  if (r.resultType !== 'single') return { error: `unexpected result type ${r.resultType}` };
  return { result: r.overallResult, ignored: r.result.ignoredContextKeys ?? [] };
}

const BASE_SEED = Number(process.env.POLICY_DIFF_SEED ?? 20240601);
const CASES = Number(process.env.POLICY_DIFF_CASES ?? 10000);

describe('differential: policy engine vs @cloud-copilot/iam-simulate', () => {
  it(`agrees on ${CASES} random cases (base seed ${BASE_SEED})`, { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    const tally: Record<string, number> = {};
    let errors = 0;
    let firstError = '';
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(BASE_SEED + i);
      const t = await theirs(c);
      if ('error' in t) {
        errors++;
        firstError ||= `seed ${c.seed}: ${t.error}`;
        continue;
      }
      const o = ours(c, t.ignored);
      tally[t.result] = (tally[t.result] ?? 0) + 1;
      tally[c.principal] = (tally[c.principal] ?? 0) + 1;
      if (c.session) tally.session = (tally.session ?? 0) + 1;
      if (o !== t.result && failures.length < 5) {
        failures.push(
          `seed ${c.seed}: ours ${o}, iam-simulate ${t.result} (ignored keys ${t.ignored.join(',')})\n${JSON.stringify(c, null, 1)}`,
        );
      } else if (o !== t.result) failures.push(`seed ${c.seed}`);
    }
    // The oracle must actually have run: few validation errors, and every verdict represented.
    expect(errors, firstError).toBeLessThan(CASES * 0.02);
    if (CASES >= 1000) {
      for (const v of ['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied'])
        expect(tally[v] ?? 0).toBeGreaterThan(CASES * 0.05);
    }
    expect(failures.length, `${failures.length} disagreements\n${failures.slice(0, 5).join('\n\n')}`).toBe(0);
  });
});
