// The IAM query API end to end, as the root of the default tenant and as plain users: users, access keys
// (with the caller-supplied key extension), inline and managed policies with versions, predefined and AWS
// managed policies, tags, service accounts, boundaries, simulation, pagination, self-service and errors.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type RunningServer } from '../helpers/server.js';

let s: RunningServer;
let root: IAMClient;
let account = '';

const creds = (accessKeyId: string, secretAccessKey: string) => ({ accessKeyId, secretAccessKey });
const iamAs = (accessKeyId: string, secretAccessKey: string): IAMClient =>
  new IAMClient({
    endpoint: s.endpoint,
    region: 'us-east-1',
    credentials: creds(accessKeyId, secretAccessKey),
  });
const s3As = (accessKeyId: string, secretAccessKey: string): S3Client =>
  new S3Client({
    endpoint: s.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: creds(accessKeyId, secretAccessKey),
  });

/** The AWS error code of a rejected IAM call (the SDK names modelled errors `<Code>Exception`). */
async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { Code?: string; name?: string };
    return (err.Code ?? err.name ?? '').replace(/Exception$/, '');
  }
  return 'no error';
}

const doc = (statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allowS3Get = doc([{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }]);

/** IAM returns policy documents URL-encoded. */
const decodeDoc = (d: string | undefined): unknown => JSON.parse(decodeURIComponent(d ?? ''));

// ---- raw signed IAM query calls, for the SeaweedFS extensions the SDK does not model
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (n) => n === 'member' });
const sha256 = (b: string): string => createHash('sha256').update(b).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

interface RawReply {
  status: number;
  body: Record<string, unknown>;
  code: string | undefined;
}

async function rawIam(
  params: Record<string, string>,
  c: { accessKeyId: string; secretAccessKey: string } = {
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
  },
): Promise<RawReply> {
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  const url = new URL(s.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/iam/aws4_request`;
  const hash = sha256(body);
  const canonical = [
    'POST',
    '/',
    '',
    `host:${url.host}`,
    `x-amz-content-sha256:${hash}`,
    `x-amz-date:${amzDate}`,
    '',
    'host;x-amz-content-sha256;x-amz-date',
    hash,
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${c.secretAccessKey}`, day);
  for (const part of ['us-east-1', 'iam', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const res = await fetch(`${s.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': amzDate,
      'x-amz-content-sha256': hash,
      authorization: `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
    },
    body,
  });
  const text = await res.text();
  const parsed = (text ? xml.parse(text) : {}) as Record<string, unknown>;
  const err = (parsed.ErrorResponse as { Error?: { Code?: string } } | undefined)?.Error;
  const result = (parsed[`${params.Action}Response`] as Record<string, unknown> | undefined)?.[
    `${params.Action}Result`
  ];
  return { status: res.status, body: (result ?? {}) as Record<string, unknown>, code: err?.Code };
}

const uniq = (() => {
  let n = 0;
  return (p: string) => `${p}${Date.now().toString(36)}${n++}`;
})();

beforeAll(async () => {
  s = await startServer();
  root = iamAs(s.accessKeyId, s.secretAccessKey);
  const me = await root.send(new GetUserCommand({}));
  account = /^arn:aws:iam::(\d{12}):root$/.exec(me.User?.Arn ?? '')?.[1] ?? '';
});
afterAll(async () => {
  await s?.stop();
});

describe('account root', () => {
  it('GetUser without a name answers the account root ARN', async () => {
    expect(account).toMatch(/^\d{12}$/);
    const me = await root.send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe(`arn:aws:iam::${account}:root`);
    expect(me.$metadata.requestId).toBeTruthy();
  });

  it('GetAccountSummary counts users and policies as they are created', async () => {
    const before = (await root.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    expect(before.AccessKeysPerUserQuota).toBe(2);
    const u = uniq('sum');
    await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(new CreatePolicyCommand({ PolicyName: u, PolicyDocument: allowS3Get }));
    const after = (await root.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    expect(after.Users).toBe((before.Users ?? 0) + 1);
    expect(after.Policies).toBe((before.Policies ?? 0) + 1);
  });
});

describe('users', () => {
  it('create, get, update (rename and path), list, delete', async () => {
    const name = uniq('alice');
    const created = await root.send(
      new CreateUserCommand({ UserName: name, Path: '/eng/', Tags: [{ Key: 'team', Value: 'storage' }] }),
    );
    expect(created.User).toMatchObject({
      UserName: name,
      Path: '/eng/',
      Arn: `arn:aws:iam::${account}:user/eng/${name}`,
    });
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z0-9]+$/);
    expect(created.User?.CreateDate).toBeInstanceOf(Date);

    const got = await root.send(new GetUserCommand({ UserName: name }));
    expect(got.User?.UserId).toBe(created.User?.UserId);
    expect(got.User?.Tags).toEqual([{ Key: 'team', Value: 'storage' }]);

    const listed = await root.send(new ListUsersCommand({ PathPrefix: '/eng/' }));
    expect(listed.Users?.map((u) => u.UserName)).toContain(name);

    const renamed = `${name}-2`;
    await root.send(new UpdateUserCommand({ UserName: name, NewUserName: renamed, NewPath: '/ops/' }));
    expect(await errorCode(root.send(new GetUserCommand({ UserName: name })))).toBe('NoSuchEntity');
    const r = await root.send(new GetUserCommand({ UserName: renamed }));
    expect(r.User).toMatchObject({
      UserId: created.User?.UserId,
      Path: '/ops/',
      Arn: `arn:aws:iam::${account}:user/ops/${renamed}`,
    });

    await root.send(new DeleteUserCommand({ UserName: renamed }));
    expect(await errorCode(root.send(new GetUserCommand({ UserName: renamed })))).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new DeleteUserCommand({ UserName: renamed })))).toBe('NoSuchEntity');
  });

  it('refuses duplicates, bad names and unknown users with AWS error codes', async () => {
    const name = uniq('dup');
    await root.send(new CreateUserCommand({ UserName: name }));
    expect(await errorCode(root.send(new CreateUserCommand({ UserName: name })))).toBe('EntityAlreadyExists');
    expect(await errorCode(root.send(new CreateUserCommand({ UserName: 'bad/name' })))).toMatch(
      /^(ValidationError|InvalidInput)$/,
    );
    expect(await errorCode(root.send(new CreateUserCommand({ UserName: 'x'.repeat(65) })))).toMatch(
      /^(ValidationError|InvalidInput)$/,
    );
    expect(await errorCode(root.send(new GetUserCommand({ UserName: uniq('ghost') })))).toBe('NoSuchEntity');
    expect(
      await errorCode(root.send(new UpdateUserCommand({ UserName: uniq('ghost'), NewUserName: uniq('x') }))),
    ).toBe('NoSuchEntity');
  });

  it('DeleteUser is a DeleteConflict while the user has keys or policies', async () => {
    const name = uniq('conf');
    await root.send(new CreateUserCommand({ UserName: name }));
    const k = await root.send(new CreateAccessKeyCommand({ UserName: name }));
    await root.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: allowS3Get }),
    );
    expect(await errorCode(root.send(new DeleteUserCommand({ UserName: name })))).toBe('DeleteConflict');
    await root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k.AccessKey?.AccessKeyId }));
    expect(await errorCode(root.send(new DeleteUserCommand({ UserName: name })))).toBe('DeleteConflict');
    await root.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: 'p' }));
    await root.send(new DeleteUserCommand({ UserName: name }));
    expect(await errorCode(root.send(new GetUserCommand({ UserName: name })))).toBe('NoSuchEntity');
  });

  it('paginates ListUsers with MaxItems / Marker / IsTruncated over 25 users', async () => {
    const path = `/${uniq('page')}/`;
    const names = Array.from(
      { length: 25 },
      (_, i) => `pg${String(i).padStart(2, '0')}x${path.slice(1, -1)}`,
    );
    for (const n of names) await root.send(new CreateUserCommand({ UserName: n, Path: path }));
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let marker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await root.send(new ListUsersCommand({ PathPrefix: path, MaxItems: 10, Marker: marker }));
      pageSizes.push(page.Users?.length ?? 0);
      seen.push(...(page.Users ?? []).map((u) => u.UserName ?? ''));
      if (!page.IsTruncated) {
        expect(page.Marker).toBeUndefined();
        break;
      }
      expect(page.Marker).toBeTruthy();
      marker = page.Marker;
    }
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen).toEqual([...names].sort());
    expect(await errorCode(root.send(new ListUsersCommand({ MaxItems: 0 })))).toMatch(
      /^(ValidationError|InvalidInput)$/,
    );
  });

  it('tags: TagUser merges, ListUserTags, UntagUser, at most 50', async () => {
    const name = uniq('tag');
    await root.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: 'a', Value: '1' }] }));
    await root.send(
      new TagUserCommand({
        UserName: name,
        Tags: [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: '3' },
        ],
      }),
    );
    const t = await root.send(new ListUserTagsCommand({ UserName: name }));
    expect(Object.fromEntries((t.Tags ?? []).map((x) => [x.Key, x.Value]))).toEqual({ a: '3', b: '2' });
    await root.send(new UntagUserCommand({ UserName: name, TagKeys: ['a'] }));
    expect((await root.send(new ListUserTagsCommand({ UserName: name }))).Tags).toEqual([
      { Key: 'b', Value: '2' },
    ]);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await errorCode(root.send(new TagUserCommand({ UserName: name, Tags: many })))).toBe(
      'LimitExceeded',
    );
    expect(
      await errorCode(
        root.send(new TagUserCommand({ UserName: name, Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] })),
      ),
    ).toMatch(/^(ValidationError|InvalidInput)$/);
    expect(await errorCode(root.send(new ListUserTagsCommand({ UserName: uniq('ghost') })))).toBe(
      'NoSuchEntity',
    );
  });
});

describe('access keys', () => {
  it('create (secret shown once), list, deactivate, delete; at most 2 per user', async () => {
    const name = uniq('keys');
    await root.send(new CreateUserCommand({ UserName: name }));
    const k1 = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    expect(k1?.AccessKeyId).toMatch(/^[A-Z0-9]{20}$/);
    expect(k1?.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(k1).toMatchObject({ UserName: name, Status: 'Active' });
    const k2 = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    expect(k2?.AccessKeyId).not.toBe(k1?.AccessKeyId);
    expect(await errorCode(root.send(new CreateAccessKeyCommand({ UserName: name })))).toBe('LimitExceeded');

    const list = await root.send(new ListAccessKeysCommand({ UserName: name }));
    expect(list.AccessKeyMetadata?.map((k) => k.AccessKeyId).sort()).toEqual(
      [k1?.AccessKeyId, k2?.AccessKeyId].sort(),
    );
    expect(JSON.stringify(list)).not.toContain(k1?.SecretAccessKey);

    await root.send(
      new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: k1?.AccessKeyId, Status: 'Inactive' }),
    );
    const after = await root.send(new ListAccessKeysCommand({ UserName: name }));
    expect(after.AccessKeyMetadata?.find((k) => k.AccessKeyId === k1?.AccessKeyId)?.Status).toBe('Inactive');
    expect(
      await errorCode(
        root.send(
          new UpdateAccessKeyCommand({
            UserName: name,
            AccessKeyId: k1?.AccessKeyId,
            Status: 'Sleeping' as 'Active',
          }),
        ),
      ),
    ).toMatch(/^(ValidationError|InvalidInput)$/);

    await root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k1?.AccessKeyId }));
    expect(
      (await root.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata?.map(
        (k) => k.AccessKeyId,
      ),
    ).toEqual([k2?.AccessKeyId]);
    expect(
      await errorCode(
        root.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k1?.AccessKeyId })),
      ),
    ).toBe('NoSuchEntity');
    // Another user's key is not reachable under this user's name.
    const other = uniq('other');
    await root.send(new CreateUserCommand({ UserName: other }));
    expect(
      await errorCode(
        root.send(new DeleteAccessKeyCommand({ UserName: other, AccessKeyId: k2?.AccessKeyId })),
      ),
    ).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new CreateAccessKeyCommand({ UserName: uniq('ghost') })))).toBe(
      'NoSuchEntity',
    );
  });

  it('GetAccessKeyLastUsed names the owner and records the last use', async () => {
    const name = uniq('lastused');
    await root.send(new CreateUserCommand({ UserName: name }));
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const fresh = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }));
    expect(fresh.UserName).toBe(name);
    expect(fresh.AccessKeyLastUsed?.LastUsedDate).toBeUndefined();
    // Any authenticated request counts as a use, even a denied one.
    await errorCode(s3As(k.AccessKeyId!, k.SecretAccessKey!).send(new ListBucketsCommand({})));
    const used = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }));
    expect(used.AccessKeyLastUsed?.LastUsedDate).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - used.AccessKeyLastUsed!.LastUsedDate!.getTime())).toBeLessThan(120_000);
    expect(used.AccessKeyLastUsed?.ServiceName).toBe('s3');
    expect(
      await errorCode(root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIANOSUCHKEY0000000' }))),
    ).toBe('NoSuchEntity');
  });

  describe('caller-supplied AccessKeyId / SecretAccessKey (SeaweedFS extension)', () => {
    it('uses the pair verbatim, and the key signs S3 requests', async () => {
      const name = uniq('supplied');
      await root.send(new CreateUserCommand({ UserName: name }));
      await root.send(
        new AttachUserPolicyCommand({ UserName: name, PolicyArn: `arn:aws:iam::${account}:policy/readonly` }),
      );
      const id = `myAppKey${Date.now()}`;
      const secret = 'my-app-secret-value';
      const r = await rawIam({
        Action: 'CreateAccessKey',
        UserName: name,
        AccessKeyId: id,
        SecretAccessKey: secret,
      });
      expect(r.code).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.body.AccessKey).toMatchObject({
        UserName: name,
        AccessKeyId: id,
        SecretAccessKey: secret,
        Status: 'Active',
      });
      const listed = await root.send(new ListAccessKeysCommand({ UserName: name }));
      expect(listed.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([id]);
      const out = await s3As(id, secret).send(new ListBucketsCommand({}));
      expect(out.$metadata.httpStatusCode).toBe(200);
    });

    it('enforces its rules: both or neither, 4–128 alphanumerics, 8–128 char secret, unique', async () => {
      const name = uniq('rules');
      await root.send(new CreateUserCommand({ UserName: name }));
      const call = (p: Record<string, string>) => rawIam({ Action: 'CreateAccessKey', UserName: name, ...p });
      expect((await call({ AccessKeyId: 'OnlyTheId1' })).code).toBe('InvalidInput');
      expect((await call({ SecretAccessKey: 'only-the-secret' })).code).toBe('InvalidInput');
      expect((await call({ AccessKeyId: 'my-app-key', SecretAccessKey: 'secret-value' })).code).toBe(
        'InvalidInput',
      );
      expect((await call({ AccessKeyId: 'abc', SecretAccessKey: 'secret-value' })).code).toBe('InvalidInput');
      expect((await call({ AccessKeyId: 'A'.repeat(129), SecretAccessKey: 'secret-value' })).code).toBe(
        'InvalidInput',
      );
      expect((await call({ AccessKeyId: 'Good1234', SecretAccessKey: 'short77' })).code).toBe('InvalidInput');
      expect((await call({ AccessKeyId: 'Good1234', SecretAccessKey: 's'.repeat(129) })).code).toBe(
        'InvalidInput',
      );
      const status400 = await call({ AccessKeyId: 'abc', SecretAccessKey: 'secret-value' });
      expect(status400.status).toBe(400);
      // Limits: the 4 and 128 boundaries are accepted.
      const id4 = `K${Date.now().toString(36).slice(-3)}`.toUpperCase().slice(0, 4);
      expect((await call({ AccessKeyId: id4, SecretAccessKey: '12345678' })).code).toBeUndefined();
      const id128 = `Z${Date.now()}`.padEnd(128, 'Q');
      expect((await call({ AccessKeyId: id128, SecretAccessKey: 's'.repeat(128) })).code).toBeUndefined();
      // Unique across all identities: another user, and the root key.
      const other = uniq('rules2');
      await root.send(new CreateUserCommand({ UserName: other }));
      const dup = await rawIam({
        Action: 'CreateAccessKey',
        UserName: other,
        AccessKeyId: id4,
        SecretAccessKey: 'x2345678',
      });
      expect(dup.code).toBe('EntityAlreadyExists');
      const rootDup = await rawIam({
        Action: 'CreateAccessKey',
        UserName: other,
        AccessKeyId: s.accessKeyId,
        SecretAccessKey: 'x2345678',
      });
      expect(rootDup.code).toBe('EntityAlreadyExists');
      expect((await root.send(new ListAccessKeysCommand({ UserName: other }))).AccessKeyMetadata).toEqual([]);
    });
  });
});

describe('inline user policies', () => {
  it('put, get (URL-encoded document), list, overwrite, delete', async () => {
    const name = uniq('inline');
    await root.send(new CreateUserCommand({ UserName: name }));
    await root.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'ReadOnlyPolicy', PolicyDocument: allowS3Get }),
    );
    const got = await root.send(new GetUserPolicyCommand({ UserName: name, PolicyName: 'ReadOnlyPolicy' }));
    expect(got).toMatchObject({ UserName: name, PolicyName: 'ReadOnlyPolicy' });
    expect(decodeDoc(got.PolicyDocument)).toEqual(JSON.parse(allowS3Get));
    await root.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: 'Second', PolicyDocument: allowS3Get }),
    );
    const list = await root.send(new ListUserPoliciesCommand({ UserName: name }));
    expect(list.PolicyNames?.sort()).toEqual(['ReadOnlyPolicy', 'Second']);
    const page = await root.send(new ListUserPoliciesCommand({ UserName: name, MaxItems: 1 }));
    expect(page.PolicyNames).toHaveLength(1);
    expect(page.IsTruncated).toBe(true);
    const rest = await root.send(new ListUserPoliciesCommand({ UserName: name, Marker: page.Marker }));
    expect([...(page.PolicyNames ?? []), ...(rest.PolicyNames ?? [])].sort()).toEqual([
      'ReadOnlyPolicy',
      'Second',
    ]);

    const v2 = doc([{ Effect: 'Deny', Action: 's3:*', Resource: '*' }]);
    await root.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'Second', PolicyDocument: v2 }));
    expect(
      decodeDoc(
        (await root.send(new GetUserPolicyCommand({ UserName: name, PolicyName: 'Second' }))).PolicyDocument,
      ),
    ).toEqual(JSON.parse(v2));
    await root.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: 'Second' }));
    expect(
      await errorCode(root.send(new GetUserPolicyCommand({ UserName: name, PolicyName: 'Second' }))),
    ).toBe('NoSuchEntity');
    expect(
      await errorCode(root.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: 'Second' }))),
    ).toBe('NoSuchEntity');
    expect(
      await errorCode(
        root.send(
          new PutUserPolicyCommand({ UserName: uniq('ghost'), PolicyName: 'p', PolicyDocument: allowS3Get }),
        ),
      ),
    ).toBe('NoSuchEntity');
  });

  it('rejects malformed documents with MalformedPolicyDocument and oversize ones with LimitExceeded', async () => {
    const name = uniq('malformed');
    await root.send(new CreateUserCommand({ UserName: name }));
    const put = (d: string) =>
      errorCode(root.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: d })));
    expect(await put('{not json')).toBe('MalformedPolicyDocument');
    expect(await put(doc([{ Effect: 'Maybe', Action: 's3:GetObject', Resource: '*' }]))).toBe(
      'MalformedPolicyDocument',
    );
    expect(await put(JSON.stringify({ Version: '2012-10-17' }))).toBe('MalformedPolicyDocument');
    expect(await put(doc([{ Effect: 'Allow', Action: 's3:GetObject' }]))).toBe('MalformedPolicyDocument');
    expect(
      await put(
        doc([
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: '*',
            Condition: { NoSuchOperator: { 'aws:x': 'y' } },
          },
        ]),
      ),
    ).toBe('MalformedPolicyDocument');
    // Users' inline policies total at most 2048 characters (whitespace excluded).
    const big = doc([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: Array.from({ length: 120 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`),
      },
    ]);
    expect(await put(big)).toBe('LimitExceeded');
    expect((await root.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames).toEqual([]);
  });
});

describe('managed policies', () => {
  it('create, get, list, versions (create / default / delete, at most 5), attach, delete rules', async () => {
    const pname = uniq('Managed');
    const created = await root.send(
      new CreatePolicyCommand({
        PolicyName: pname,
        PolicyDocument: allowS3Get,
        Description: 'test policy',
        Path: '/t/',
      }),
    );
    const arn = `arn:aws:iam::${account}:policy/t/${pname}`;
    expect(created.Policy).toMatchObject({
      PolicyName: pname,
      Arn: arn,
      Path: '/t/',
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
    });
    expect(
      await errorCode(root.send(new CreatePolicyCommand({ PolicyName: pname, PolicyDocument: allowS3Get }))),
    ).toBe('EntityAlreadyExists');
    expect(
      await errorCode(root.send(new CreatePolicyCommand({ PolicyName: uniq('Bad'), PolicyDocument: '[]' }))),
    ).toBe('MalformedPolicyDocument');
    const got = await root.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy).toMatchObject({ PolicyName: pname, Description: 'test policy', IsAttachable: true });
    const local = await root.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/t/' }));
    expect(local.Policies?.map((p) => p.Arn)).toContain(arn);

    // Versions.
    const v2doc = doc([{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' }]);
    const v2 = await root.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v2doc, SetAsDefault: true }),
    );
    expect(v2.PolicyVersion).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    expect((await root.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId).toBe('v2');
    const v1 = await root.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(v1.PolicyVersion?.IsDefaultVersion).toBe(false);
    expect(decodeDoc(v1.PolicyVersion?.Document)).toEqual(JSON.parse(allowS3Get));
    for (let i = 0; i < 3; i++) {
      await root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v2doc }));
    }
    const versions = await root.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(versions.Versions?.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId)).toEqual(['v2']);
    expect(
      await errorCode(root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v2doc }))),
    ).toBe('LimitExceeded');
    expect(
      await errorCode(root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }))),
    ).toBe('DeleteConflict');
    await root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    await root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    expect(await errorCode(root.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })))).toBe(
      'NoSuchEntity',
    );
    expect(
      await errorCode(root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v9' }))),
    ).toBe('NoSuchEntity');
    const next = await root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: v2doc }));
    expect(next.PolicyVersion?.VersionId).toBe('v6');

    // Attach (the SeaweedFS empty-account spelling too), count, delete rules.
    const user = uniq('att');
    await root.send(new CreateUserCommand({ UserName: user }));
    await root.send(
      new AttachUserPolicyCommand({ UserName: user, PolicyArn: `arn:aws:iam:::policy/${pname}` }),
    );
    const attached = await root.send(new ListAttachedUserPoliciesCommand({ UserName: user }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: pname, PolicyArn: arn }]);
    expect((await root.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(1);
    expect(await errorCode(root.send(new DeletePolicyCommand({ PolicyArn: arn })))).toBe('DeleteConflict');
    await root.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
    expect(await errorCode(root.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: arn })))).toBe(
      'NoSuchEntity',
    );
    expect(
      (await root.send(new ListAttachedUserPoliciesCommand({ UserName: user }))).AttachedPolicies,
    ).toEqual([]);
    await root.send(new DeletePolicyCommand({ PolicyArn: arn }));
    expect(await errorCode(root.send(new GetPolicyCommand({ PolicyArn: arn })))).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new DeletePolicyCommand({ PolicyArn: arn })))).toBe('NoSuchEntity');
    expect(
      await errorCode(
        root.send(
          new AttachUserPolicyCommand({
            UserName: user,
            PolicyArn: `arn:aws:iam::${account}:policy/${uniq('none')}`,
          }),
        ),
      ),
    ).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new GetPolicyCommand({ PolicyArn: 'not-an-arn' })))).toMatch(
      /^(InvalidInput|ValidationError)$/,
    );
  });

  it('ListPolicies paginates', async () => {
    const path = `/${uniq('pp')}/`;
    for (let i = 0; i < 7; i++) {
      await root.send(
        new CreatePolicyCommand({
          PolicyName: `pp${i}${path.slice(1, -1)}`,
          Path: path,
          PolicyDocument: allowS3Get,
        }),
      );
    }
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const p = await root.send(
        new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path, MaxItems: 3, Marker: marker }),
      );
      names.push(...(p.Policies ?? []).map((x) => x.PolicyName ?? ''));
      marker = p.IsTruncated ? p.Marker : undefined;
      pages++;
    } while (marker && pages < 10);
    expect(pages).toBe(3);
    expect(names).toHaveLength(7);
    expect(new Set(names).size).toBe(7);
  });

  it('predefined readonly / writeonly / readwrite: readable, attachable by both ARN spellings, immutable', async () => {
    for (const n of ['readonly', 'writeonly', 'readwrite']) {
      const p = await root.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${account}:policy/${n}` }));
      expect(p.Policy).toMatchObject({
        PolicyName: n,
        Arn: `arn:aws:iam::${account}:policy/${n}`,
        DefaultVersionId: 'v1',
      });
    }
    const ro = await root.send(
      new GetPolicyVersionCommand({ PolicyArn: `arn:aws:iam::${account}:policy/readonly`, VersionId: 'v1' }),
    );
    const roDoc = decodeDoc(ro.PolicyVersion?.Document) as { Statement: Array<{ Action: string[] }> };
    expect(roDoc.Statement[0]?.Action).toContain('s3:GetObject');
    expect(roDoc.Statement[0]?.Action).not.toContain('s3:PutObject');
    const wo = await root.send(
      new GetPolicyVersionCommand({ PolicyArn: `arn:aws:iam:::policy/writeonly`, VersionId: 'v1' }),
    );
    expect(JSON.stringify(decodeDoc(wo.PolicyVersion?.Document))).toContain('s3:PutObject');

    const all = await root.send(new ListPoliciesCommand({ Scope: 'Local' }));
    expect(all.Policies?.map((p) => p.PolicyName)).toEqual(
      expect.arrayContaining(['readonly', 'writeonly', 'readwrite']),
    );

    const u1 = uniq('pre');
    await root.send(new CreateUserCommand({ UserName: u1 }));
    await root.send(
      new AttachUserPolicyCommand({ UserName: u1, PolicyArn: `arn:aws:iam::${account}:policy/readonly` }),
    );
    await root.send(
      new AttachUserPolicyCommand({ UserName: u1, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    const att = await root.send(new ListAttachedUserPoliciesCommand({ UserName: u1 }));
    expect(att.AttachedPolicies?.map((a) => a.PolicyArn).sort()).toEqual(
      [`arn:aws:iam::${account}:policy/readonly`, `arn:aws:iam::${account}:policy/readwrite`].sort(),
    );
    expect(
      (await root.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${account}:policy/readonly` }))).Policy
        ?.AttachmentCount,
    ).toBeGreaterThanOrEqual(1);

    const arn = `arn:aws:iam::${account}:policy/readonly`;
    expect(await errorCode(root.send(new DeletePolicyCommand({ PolicyArn: arn })))).not.toBe('no error');
    expect(
      await errorCode(
        root.send(
          new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: allowS3Get, SetAsDefault: true }),
        ),
      ),
    ).not.toBe('no error');
    expect(
      await errorCode(
        root.send(new CreatePolicyCommand({ PolicyName: 'readonly', PolicyDocument: allowS3Get })),
      ),
    ).toBe('EntityAlreadyExists');
    const still = await root.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    expect(decodeDoc(still.PolicyVersion?.Document)).toEqual(roDoc);
    expect((await root.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions).toHaveLength(1);
  });

  it('AWS managed policies by their arn:aws:iam::aws:policy/… ARNs', async () => {
    const names = ['AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess', 'IAMFullAccess', 'IAMReadOnlyAccess'];
    const awsList = await root.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    expect(awsList.Policies?.map((p) => p.Arn)).toEqual(
      expect.arrayContaining(names.map((n) => `arn:aws:iam::aws:policy/${n}`)),
    );
    expect(awsList.Policies?.map((p) => p.PolicyName)).not.toContain('readonly');
    for (const n of names) {
      const p = await root.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::aws:policy/${n}` }));
      expect(p.Policy).toMatchObject({ PolicyName: n, Arn: `arn:aws:iam::aws:policy/${n}` });
    }
    const u = uniq('awsm');
    await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(
      new AttachUserPolicyCommand({
        UserName: u,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    expect((await root.send(new ListAttachedUserPoliciesCommand({ UserName: u }))).AttachedPolicies).toEqual([
      { PolicyName: 'AmazonS3ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' },
    ]);
    expect(
      await errorCode(
        root.send(
          new AttachUserPolicyCommand({
            UserName: u,
            PolicyArn: 'arn:aws:iam::aws:policy/NoSuchManagedPolicy',
          }),
        ),
      ),
    ).toBe('NoSuchEntity');
    expect(
      await errorCode(
        root.send(new DeletePolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' })),
      ),
    ).not.toBe('no error');
  });
});

describe('permissions boundaries', () => {
  it('put, show in GetUser, delete; unknown policy is NoSuchEntity; a boundary policy cannot be deleted', async () => {
    const u = uniq('pb');
    const bname = uniq('Boundary');
    const barn = (await root.send(new CreatePolicyCommand({ PolicyName: bname, PolicyDocument: allowS3Get })))
      .Policy!.Arn!;
    await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(new PutUserPermissionsBoundaryCommand({ UserName: u, PermissionsBoundary: barn }));
    const got = await root.send(new GetUserCommand({ UserName: u }));
    expect(got.User?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: barn,
    });
    expect(await errorCode(root.send(new DeletePolicyCommand({ PolicyArn: barn })))).toBe('DeleteConflict');
    await root.send(new DeleteUserPermissionsBoundaryCommand({ UserName: u }));
    expect((await root.send(new GetUserCommand({ UserName: u }))).User?.PermissionsBoundary).toBeUndefined();
    expect(
      await errorCode(
        root.send(
          new PutUserPermissionsBoundaryCommand({
            UserName: u,
            PermissionsBoundary: `arn:aws:iam::${account}:policy/${uniq('x')}`,
          }),
        ),
      ),
    ).toBe('NoSuchEntity');
    // At creation time, and with an AWS managed policy.
    const u2 = uniq('pb2');
    await root.send(
      new CreateUserCommand({
        UserName: u2,
        PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    expect(
      (await root.send(new GetUserCommand({ UserName: u2 }))).User?.PermissionsBoundary
        ?.PermissionsBoundaryArn,
    ).toBe('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    await root.send(new DeletePolicyCommand({ PolicyArn: barn }));
  });
});

describe('policy simulation', () => {
  it('SimulateCustomPolicy: allowed, implicitDeny, explicitDeny, with the deciding statement', async () => {
    const policy = doc([
      { Sid: 'ReadB', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/secret/*' },
    ]);
    const r = await root.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [policy],
        ActionNames: ['s3:GetObject', 's3:PutObject'],
        ResourceArns: ['arn:aws:s3:::b/public/x', 'arn:aws:s3:::b/secret/y'],
      }),
    );
    const verdict = (a: string, res: string) =>
      r.EvaluationResults?.find((e) => e.EvalActionName === a && e.EvalResourceName === res)?.EvalDecision;
    expect(verdict('s3:GetObject', 'arn:aws:s3:::b/public/x')).toBe('allowed');
    expect(verdict('s3:GetObject', 'arn:aws:s3:::b/secret/y')).toBe('explicitDeny');
    expect(verdict('s3:PutObject', 'arn:aws:s3:::b/public/x')).toBe('implicitDeny');
    const allowed = r.EvaluationResults?.find((e) => e.EvalDecision === 'allowed');
    expect(allowed?.MatchedStatements?.length).toBeGreaterThan(0);

    const cond = await root.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [
          doc([
            {
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: 'arn:aws:s3:::b',
              Condition: { StringLike: { 's3:prefix': 'home/*' } },
            },
          ]),
        ],
        ActionNames: ['s3:ListBucket'],
        ResourceArns: ['arn:aws:s3:::b'],
        ContextEntries: [
          { ContextKeyName: 's3:prefix', ContextKeyType: 'string', ContextKeyValues: ['home/x'] },
        ],
      }),
    );
    expect(cond.EvaluationResults?.[0]?.EvalDecision).toBe('allowed');
    expect(
      await errorCode(
        root.send(
          new SimulateCustomPolicyCommand({ PolicyInputList: ['{bad'], ActionNames: ['s3:GetObject'] }),
        ),
      ),
    ).toMatch(/^(MalformedPolicyDocument|InvalidInput)$/);
  });

  it('SimulatePrincipalPolicy uses the user’s policies in force (inline, managed, groups)', async () => {
    const u = uniq('sim');
    await root.send(new CreateUserCommand({ UserName: u }));
    const arn = (await root.send(new GetUserCommand({ UserName: u }))).User!.Arn!;
    const before = await root.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        ActionNames: ['s3:GetObject'],
        ResourceArns: ['arn:aws:s3:::any/k'],
      }),
    );
    expect(before.EvaluationResults?.[0]?.EvalDecision).toBe('implicitDeny');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u, PolicyArn: `arn:aws:iam::${account}:policy/readonly` }),
    );
    const after = await root.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: arn,
        ActionNames: ['s3:GetObject', 's3:PutObject'],
        ResourceArns: ['arn:aws:s3:::any/k'],
      }),
    );
    const byAction: Record<string, string | undefined> = Object.fromEntries(
      (after.EvaluationResults ?? []).map((e): [string, string | undefined] => [
        e.EvalActionName ?? '',
        e.EvalDecision,
      ]),
    );
    expect(byAction).toEqual({ 's3:GetObject': 'allowed', 's3:PutObject': 'implicitDeny' });
    expect(
      await errorCode(
        root.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${account}:user/${uniq('ghost')}`,
            ActionNames: ['s3:GetObject'],
          }),
        ),
      ),
    ).toBe('NoSuchEntity');
  });
});

describe('service accounts (SeaweedFS extension)', () => {
  it('create, get, list, update, delete; secret only on create', async () => {
    const u = uniq('sa');
    await root.send(new CreateUserCommand({ UserName: u }));
    const c = await rawIam({ Action: 'CreateServiceAccount', ParentUser: u, Description: 'ci robot' });
    expect(c.code).toBeUndefined();
    const sa = c.body.ServiceAccount as Record<string, string>;
    expect(sa).toMatchObject({ ParentUser: u, Description: 'ci robot', Status: 'Active' });
    expect(sa.AccessKeyId).toMatch(/^[A-Z0-9]{20}$/);
    expect(sa.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    const id = sa.ServiceAccountId!;
    expect(id).toBeTruthy();

    const g = await rawIam({ Action: 'GetServiceAccount', ServiceAccountId: id });
    expect(g.code).toBeUndefined();
    expect(g.body.ServiceAccount).toMatchObject({
      ServiceAccountId: id,
      ParentUser: u,
      AccessKeyId: sa.AccessKeyId,
    });
    expect(JSON.stringify(g.body)).not.toContain(sa.SecretAccessKey);

    const l = await rawIam({ Action: 'ListServiceAccounts', ParentUser: u });
    expect(l.code).toBeUndefined();
    expect(JSON.stringify(l.body)).toContain(id);

    const up = await rawIam({
      Action: 'UpdateServiceAccount',
      ServiceAccountId: id,
      NewStatus: 'Inactive',
      Status: 'Inactive',
    });
    expect(up.code).toBeUndefined();
    const g2 = await rawIam({ Action: 'GetServiceAccount', ServiceAccountId: id });
    expect((g2.body.ServiceAccount as Record<string, string>).Status).toBe('Inactive');

    // Service accounts are not the user's access keys.
    expect((await root.send(new ListAccessKeysCommand({ UserName: u }))).AccessKeyMetadata).toEqual([]);
    // A user with a service account cannot be deleted.
    expect(await errorCode(root.send(new DeleteUserCommand({ UserName: u })))).toBe('DeleteConflict');

    expect((await rawIam({ Action: 'DeleteServiceAccount', ServiceAccountId: id })).code).toBeUndefined();
    expect((await rawIam({ Action: 'GetServiceAccount', ServiceAccountId: id })).code).toBe('NoSuchEntity');
    expect((await rawIam({ Action: 'DeleteServiceAccount', ServiceAccountId: id })).code).toBe(
      'NoSuchEntity',
    );
    await root.send(new DeleteUserCommand({ UserName: u }));
  });

  it('errors: missing or unknown parent, bad policy, past expiration', async () => {
    expect((await rawIam({ Action: 'CreateServiceAccount' })).code).toBe('InvalidInput');
    expect((await rawIam({ Action: 'CreateServiceAccount', ParentUser: uniq('ghost') })).code).toBe(
      'NoSuchEntity',
    );
    const u = uniq('sa2');
    await root.send(new CreateUserCommand({ UserName: u }));
    expect((await rawIam({ Action: 'CreateServiceAccount', ParentUser: u, Policy: '{bad' })).code).toBe(
      'MalformedPolicyDocument',
    );
    expect((await rawIam({ Action: 'CreateServiceAccount', ParentUser: u, Expiration: '1000' })).code).toBe(
      'InvalidInput',
    );
  });
});

describe('self-service', () => {
  it('a user with no policies manages its own keys and reads itself, and nothing else', async () => {
    const me = uniq('self');
    const other = uniq('someone');
    await root.send(new CreateUserCommand({ UserName: me }));
    await root.send(new CreateUserCommand({ UserName: other }));
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: me }))).AccessKey!;
    const mine = iamAs(k.AccessKeyId!, k.SecretAccessKey!);

    const self = await mine.send(new GetUserCommand({}));
    expect(self.User).toMatchObject({ UserName: me, Arn: `arn:aws:iam::${account}:user/${me}` });
    expect((await mine.send(new GetUserCommand({ UserName: me }))).User?.UserName).toBe(me);

    const created = (await mine.send(new CreateAccessKeyCommand({}))).AccessKey!;
    expect(created.UserName).toBe(me);
    const listed = await mine.send(new ListAccessKeysCommand({}));
    expect(listed.AccessKeyMetadata?.map((x) => x.AccessKeyId).sort()).toEqual(
      [k.AccessKeyId, created.AccessKeyId].sort(),
    );
    expect(listed.AccessKeyMetadata?.every((x) => x.UserName === me)).toBe(true);
    await mine.send(new UpdateAccessKeyCommand({ AccessKeyId: created.AccessKeyId, Status: 'Inactive' }));
    await mine.send(new DeleteAccessKeyCommand({ AccessKeyId: created.AccessKeyId }));
    expect((await mine.send(new ListAccessKeysCommand({ UserName: me }))).AccessKeyMetadata).toHaveLength(1);

    // Everything about other users, and admin actions on itself, is AccessDenied.
    expect(await errorCode(mine.send(new GetUserCommand({ UserName: other })))).toBe('AccessDenied');
    expect(await errorCode(mine.send(new CreateAccessKeyCommand({ UserName: other })))).toBe('AccessDenied');
    expect(await errorCode(mine.send(new ListAccessKeysCommand({ UserName: other })))).toBe('AccessDenied');
    expect(await errorCode(mine.send(new ListUsersCommand({})))).toBe('AccessDenied');
    expect(await errorCode(mine.send(new CreateUserCommand({ UserName: uniq('nope') })))).toBe(
      'AccessDenied',
    );
    expect(await errorCode(mine.send(new DeleteUserCommand({ UserName: other })))).toBe('AccessDenied');
    expect(
      await errorCode(
        mine.send(
          new AttachUserPolicyCommand({ UserName: me, PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }),
        ),
      ),
    ).toBe('AccessDenied');
    expect(
      await errorCode(
        mine.send(new PutUserPolicyCommand({ UserName: me, PolicyName: 'x', PolicyDocument: allowS3Get })),
      ),
    ).toBe('AccessDenied');
    // Another user's key cannot be touched even by id.
    const theirs = (await root.send(new CreateAccessKeyCommand({ UserName: other }))).AccessKey!;
    expect(
      await errorCode(
        mine.send(new UpdateAccessKeyCommand({ AccessKeyId: theirs.AccessKeyId, Status: 'Inactive' })),
      ),
    ).toMatch(/^(AccessDenied|NoSuchEntity)$/);
    expect(
      await errorCode(mine.send(new DeleteAccessKeyCommand({ AccessKeyId: theirs.AccessKeyId }))),
    ).toMatch(/^(AccessDenied|NoSuchEntity)$/);
    expect(
      (await root.send(new ListAccessKeysCommand({ UserName: other }))).AccessKeyMetadata?.[0]?.Status,
    ).toBe('Active');
  });

  it('IAMReadOnlyAccess lets a user read IAM but not change it; IAMFullAccess lets it administer', async () => {
    const u = uniq('iamro');
    await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(
      new AttachUserPolicyCommand({ UserName: u, PolicyArn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess' }),
    );
    const k = (await root.send(new CreateAccessKeyCommand({ UserName: u }))).AccessKey!;
    const c = iamAs(k.AccessKeyId!, k.SecretAccessKey!);
    expect((await c.send(new ListUsersCommand({}))).Users?.map((x) => x.UserName)).toContain(u);
    expect(await errorCode(c.send(new CreateUserCommand({ UserName: uniq('no') })))).toBe('AccessDenied');
    await root.send(
      new AttachUserPolicyCommand({ UserName: u, PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }),
    );
    const made = uniq('made');
    await c.send(new CreateUserCommand({ UserName: made }));
    expect((await root.send(new GetUserCommand({ UserName: made }))).User?.UserName).toBe(made);
  });
});

describe('SetUserStatus (SeaweedFS extension)', () => {
  it('sets Inactive / Active; unknown user and bad status are refused', async () => {
    const u = uniq('status');
    await root.send(new CreateUserCommand({ UserName: u }));
    expect((await rawIam({ Action: 'SetUserStatus', UserName: u, Status: 'Inactive' })).code).toBeUndefined();
    expect((await rawIam({ Action: 'SetUserStatus', UserName: u, Status: 'Active' })).code).toBeUndefined();
    expect((await rawIam({ Action: 'SetUserStatus', UserName: uniq('ghost'), Status: 'Active' })).code).toBe(
      'NoSuchEntity',
    );
    expect((await rawIam({ Action: 'SetUserStatus', UserName: u, Status: 'Paused' })).code).toMatch(
      /^(ValidationError|InvalidInput)$/,
    );
  });
});

describe('protocol', () => {
  it('an unknown action is an error, and an unsigned call is refused', async () => {
    const r = await rawIam({ Action: 'NoSuchAction' });
    expect(r.status).toBe(400);
    expect(r.code).toMatch(/^(InvalidAction|InvalidInput)$/);
    const res = await fetch(`${s.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListUsers&Version=2010-05-08',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toContain('<ListUsersResult>');
  });
});
