// The IAM query API driven by the real @aws-sdk/client-iam against an in-process HTTP server around
// the IAM surface: the SeaweedFS page's flows, AWS error codes, pagination, self-service, tenants,
// and the exact XML for the shapes the SDK does not check strictly. Signature verification is not
// under test here (src/auth owns it): the stub authenticator trusts the access key id it is given.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountSummaryCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  SetDefaultPolicyVersionCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateUserCommand,
  DeletePolicyVersionCommand,
  ListEntitiesForPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestContext } from '../../kernel/request-context.js';
import { SqliteIdentityStore } from '../../meta/sqlite/iam-store.js';
import { createIdentityAuthorizer } from '../authorizer.js';
import { IdentityCache } from '../identity-cache.js';
import { SecretBox } from '../secrets.js';
import { IamService } from '../service.js';
import { authenticate } from '../../auth/authenticate.js';
import { handleIamAction } from './actions.js';
import { createIamSurface } from './surface.js';

const ROOT = { accessKeyId: 'ROOTACCESSKEY', secretAccessKey: 'root-secret-key-123' };
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: ['arn:aws:s3:::my-bucket/*'] }],
});

let server: http.Server;
let endpoint: string;
let store: SqliteIdentityStore;
let cache: IdentityCache;
let iam: IamService;
let deps: Parameters<typeof createIamSurface>[0];

const client = (accessKeyId: string, secretAccessKey: string) =>
  new IAMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
let root: IAMClient;

beforeAll(async () => {
  store = new SqliteIdentityStore({ db: ':memory:', defaultTenant: { accountId: '000000000000' } });
  const box = new SecretBox(Buffer.alloc(32, 9));
  cache = await IdentityCache.create({
    store,
    box,
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecret: ROOT.secretAccessKey,
  });
  iam = new IamService({ store, cache, box, rootAccessKeyId: ROOT.accessKeyId });
  deps = {
    iam,
    cache,
    authorize: createIdentityAuthorizer(cache),
    maxBodySize: 1 << 20,
    // The real SigV4 verifier, served by the identity cache as in the server.
    authenticate: (req) => authenticate(req, { now: new Date(), region: 'us-east-1', lookup: cache.lookup }),
  };
  const surface = createIamSurface(deps);
  server = http.createServer((req, res) => {
    const ctx = createRequestContext(req, res, `req-${Math.random().toString(36).slice(2)}`);
    void surface(ctx);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = client(ROOT.accessKeyId, ROOT.secretAccessKey);
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
});

describe('IAM API with @aws-sdk/client-iam', () => {
  it('runs the SeaweedFS page: user, key, inline and managed policies, self-service', async () => {
    const u = await root.send(
      new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'data' }] }),
    );
    expect(u.User).toMatchObject({
      UserName: 'alice',
      Path: '/',
      Arn: 'arn:aws:iam::000000000000:user/alice',
    });
    expect(u.User?.UserId).toMatch(/^AIDA/);
    expect(u.User?.CreateDate).toBeInstanceOf(Date);

    const k = await root.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    expect(k.AccessKey).toMatchObject({ UserName: 'alice', Status: 'Active' });
    expect(k.AccessKey?.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);

    await root.send(
      new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'ReadOnlyPolicy', PolicyDocument: DOC }),
    );
    const got = await root.send(
      new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'ReadOnlyPolicy' }),
    );
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(DOC); // URL-encoded as AWS returns it
    expect((await root.send(new ListUserPoliciesCommand({ UserName: 'alice' }))).PolicyNames).toEqual([
      'ReadOnlyPolicy',
    ]);

    await root.send(new CreatePolicyCommand({ PolicyName: 'ReadOnlyManaged', PolicyDocument: DOC }));
    await root.send(
      new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: 'arn:aws:iam:::policy/ReadOnlyManaged' }),
    );
    const att = await root.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
    expect(att.AttachedPolicies).toEqual([
      { PolicyName: 'ReadOnlyManaged', PolicyArn: 'arn:aws:iam::000000000000:policy/ReadOnlyManaged' },
    ]);
    const gp = await root.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam:::policy/ReadOnlyManaged' }));
    expect(gp.Policy).toMatchObject({ AttachmentCount: 1, DefaultVersionId: 'v1', IsAttachable: true });
    await expect(
      root.send(new DeletePolicyCommand({ PolicyArn: 'arn:aws:iam:::policy/ReadOnlyManaged' })),
    ).rejects.toMatchObject({
      name: 'DeleteConflictException',
      $metadata: { httpStatusCode: 409 },
    });

    // Self-service: alice manages her own keys and reads herself without any IAM grant.
    const alice = client(k.AccessKey?.AccessKeyId ?? '', k.AccessKey?.SecretAccessKey ?? '');
    const me = await alice.send(new GetUserCommand({}));
    expect(me.User?.UserName).toBe('alice');
    const k2 = await alice.send(new CreateAccessKeyCommand({}));
    const mine = await alice.send(new ListAccessKeysCommand({}));
    expect(mine.AccessKeyMetadata?.map((x) => x.AccessKeyId).sort()).toEqual(
      [k.AccessKey?.AccessKeyId, k2.AccessKey?.AccessKeyId].sort(),
    );
    await expect(alice.send(new CreateAccessKeyCommand({}))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
    await alice.send(
      new UpdateAccessKeyCommand({ AccessKeyId: k2.AccessKey?.AccessKeyId, Status: 'Inactive' }),
    );
    expect(
      (await alice.send(new ListAccessKeysCommand({}))).AccessKeyMetadata?.find(
        (x) => x.AccessKeyId === k2.AccessKey?.AccessKeyId,
      )?.Status,
    ).toBe('Inactive');
    await alice.send(new DeleteAccessKeyCommand({ AccessKeyId: k2.AccessKey?.AccessKeyId }));
    // …but nothing else.
    await expect(alice.send(new ListUsersCommand({}))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await root.send(new CreateUserCommand({ UserName: 'bob' }));
    await expect(alice.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(alice.send(new GetUserCommand({ UserName: 'bob' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });

    // Granting IAMReadOnlyAccess takes effect on the very next call, and removing it too.
    await root.send(
      new AttachUserPolicyCommand({
        UserName: 'alice',
        PolicyArn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
      }),
    );
    expect((await alice.send(new ListUsersCommand({}))).Users?.map((x) => x.UserName)).toEqual([
      'alice',
      'bob',
    ]);
    await expect(alice.send(new CreateUserCommand({ UserName: 'eve' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await root.send(
      new DetachUserPolicyCommand({
        UserName: 'alice',
        PolicyArn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
      }),
    );
    await expect(alice.send(new ListUsersCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });

    // Disabling the user refuses her key at once.
    await root.send(
      new UpdateAccessKeyCommand({
        UserName: 'alice',
        AccessKeyId: k.AccessKey?.AccessKeyId,
        Status: 'Inactive',
      }),
    );
    expect(cache.lookup(k.AccessKey?.AccessKeyId ?? '')).toBeUndefined();
    await root.send(
      new UpdateAccessKeyCommand({
        UserName: 'alice',
        AccessKeyId: k.AccessKey?.AccessKeyId,
        Status: 'Active',
      }),
    );
    const status = await handleIamAction(
      deps,
      cache.lookup(ROOT.accessKeyId)!.principal,
      new URLSearchParams({ Action: 'SetUserStatus', UserName: 'alice', Status: 'Inactive' }),
      'r1',
    );
    expect(status.xml).toContain('<SetUserStatusResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(cache.lookup(k.AccessKey?.AccessKeyId ?? '')).toBeUndefined();
  });

  it('speaks AWS errors', async () => {
    await expect(root.send(new GetUserCommand({ UserName: 'nobody' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
      $metadata: { httpStatusCode: 404 },
    });
    await root.send(new CreateUserCommand({ UserName: 'dup' }));
    await expect(root.send(new CreateUserCommand({ UserName: 'DUP' }))).rejects.toMatchObject({
      name: 'EntityAlreadyExistsException',
    });
    await expect(
      root.send(
        new PutUserPolicyCommand({
          UserName: 'dup',
          PolicyName: 'p',
          PolicyDocument: '{"Statement":[{"Effect":"Maybe"}]}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
    await expect(root.send(new CreateUserCommand({ UserName: 'bad name!' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
    await expect(
      root.send(
        new AttachUserPolicyCommand({ UserName: 'dup', PolicyArn: 'arn:aws:iam:::policy/NoSuchPolicy' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const r = await handleIamAction(
      deps,
      cache.lookup(ROOT.accessKeyId)!.principal,
      new URLSearchParams({ Action: 'Frobnicate' }),
      'rid-7',
    );
    expect(r.status).toBe(400);
    expect(r.xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
        '<Code>InvalidAction</Code><Message>Could not find operation Frobnicate for version 2010-05-08</Message></Error>' +
        '<RequestId>rid-7</RequestId></ErrorResponse>',
    );
    const anon = await handleIamAction(
      deps,
      { kind: 'anonymous' },
      new URLSearchParams({ Action: 'ListUsers' }),
      'r',
    );
    expect(anon.status).toBe(403);
  });

  it('pages users with Marker/MaxItems/IsTruncated', async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5'])
      await root.send(new CreateUserCommand({ UserName: n, Path: '/paged/' }));
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const r = await root.send(
        new ListUsersCommand({ PathPrefix: '/paged/', MaxItems: 2, ...(marker ? { Marker: marker } : {}) }),
      );
      seen.push(...(r.Users ?? []).map((u) => u.UserName ?? ''));
      marker = r.IsTruncated ? r.Marker : undefined;
      pages++;
    } while (marker);
    expect(seen).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(pages).toBe(3);
  });

  it('manages groups: membership, policies, deletion rules, rename', async () => {
    await root.send(new CreateUserCommand({ UserName: 'gina' }));
    await root.send(new CreateGroupCommand({ GroupName: 'developers' }));
    await root.send(new AddUserToGroupCommand({ GroupName: 'developers', UserName: 'gina' }));
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: 'developers', PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const g = await root.send(new GetGroupCommand({ GroupName: 'developers' }));
    expect(g.Group?.Arn).toBe('arn:aws:iam::000000000000:group/developers');
    expect(g.Users?.map((u) => u.UserName)).toEqual(['gina']);
    expect(
      (await root.send(new ListGroupsForUserCommand({ UserName: 'gina' }))).Groups?.map((x) => x.GroupName),
    ).toEqual(['developers']);
    expect(
      (await root.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'developers' }))).AttachedPolicies,
    ).toEqual([{ PolicyName: 'readonly', PolicyArn: 'arn:aws:iam::000000000000:policy/readonly' }]);
    await expect(root.send(new DeleteGroupCommand({ GroupName: 'developers' }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
    });
    // Deleting a user takes it out of its groups.
    await root.send(new DeleteUserCommand({ UserName: 'gina' }));
    expect((await root.send(new GetGroupCommand({ GroupName: 'developers' }))).Users).toEqual([]);
    await root
      .send(new RemoveUserFromGroupCommand({ GroupName: 'developers', UserName: 'dup' }))
      .catch((e: unknown) => {
        expect(e).toMatchObject({ name: 'NoSuchEntityException' });
      });
    await root.send(
      new DetachGroupPolicyCommand({ GroupName: 'developers', PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    const disable = await handleIamAction(
      deps,
      cache.lookup(ROOT.accessKeyId)!.principal,
      new URLSearchParams({
        Action: 'UpdateGroup',
        GroupName: 'developers',
        NewGroupName: 'devs',
        Disabled: 'true',
      }),
      'r',
    );
    expect(disable.status).toBe(200);
    expect((await root.send(new ListGroupsCommand({}))).Groups?.map((x) => x.GroupName)).toContain('devs');
    await root.send(new DeleteGroupCommand({ GroupName: 'devs' }));
  });

  it('versions managed policies and lists by scope', async () => {
    const arn =
      (
        await root.send(
          new CreatePolicyCommand({ PolicyName: 'Versioned', PolicyDocument: DOC, Path: '/v/' }),
        )
      ).Policy?.Arn ?? '';
    expect(arn).toBe('arn:aws:iam::000000000000:policy/v/Versioned');
    for (let i = 0; i < 4; i++)
      await root.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: DOC, SetAsDefault: i === 3 }),
      );
    await expect(
      root.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: DOC })),
    ).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
    const vs = await root.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(vs.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v5', true],
      ['v4', false],
      ['v3', false],
      ['v2', false],
      ['v1', false],
    ]);
    await expect(
      root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' })),
    ).rejects.toMatchObject({
      name: 'DeleteConflictException',
    });
    await root.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    await root.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }));
    const v2 = await root.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    expect(v2.PolicyVersion?.IsDefaultVersion).toBe(true);
    expect(JSON.parse(decodeURIComponent(v2.PolicyVersion?.Document ?? ''))).toEqual(JSON.parse(DOC));
    const aws = await root.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    expect(aws.Policies?.map((p) => p.Arn)).toContain('arn:aws:iam::aws:policy/AmazonS3FullAccess');
    const local = await root.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/v/' }));
    expect(local.Policies?.map((p) => p.PolicyName)).toEqual(['Versioned']);
    const ro = await root.send(
      new GetPolicyVersionCommand({ PolicyArn: 'arn:aws:iam:::policy/readonly', VersionId: 'v1' }),
    );
    expect(decodeURIComponent(ro.PolicyVersion?.Document ?? '')).toContain('s3:ListAllMyBuckets');
    await expect(
      root.send(new DeletePolicyCommand({ PolicyArn: 'arn:aws:iam:::policy/readonly' })),
    ).rejects.toMatchObject({
      name: 'UnmodifiableEntityException',
    });
  });

  it('lists the users and groups a managed policy is attached to', async () => {
    const arn = (await root.send(new CreatePolicyCommand({ PolicyName: 'Shared', PolicyDocument: DOC })))
      .Policy!.Arn!;
    for (const name of ['ent-b', 'ent-a', 'ent-c']) {
      await root.send(
        new CreateUserCommand({ UserName: name, ...(name === 'ent-c' ? { Path: '/ops/' } : {}) }),
      );
      await root.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    }
    await root.send(new CreateGroupCommand({ GroupName: 'ent-g' }));
    await root.send(new AttachGroupPolicyCommand({ GroupName: 'ent-g', PolicyArn: arn }));
    const all = await root.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    expect(all.PolicyUsers?.map((u) => u.UserName)).toEqual(['ent-a', 'ent-b', 'ent-c']);
    expect(all.PolicyUsers?.[0]?.UserId).toMatch(/^AIDA/);
    expect(all.PolicyGroups?.map((g) => g.GroupName)).toEqual(['ent-g']);
    expect(all.IsTruncated).toBe(false);
    const users = await root.send(
      new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'User', PathPrefix: '/ops/' }),
    );
    expect([users.PolicyUsers?.map((u) => u.UserName), users.PolicyGroups]).toEqual([['ent-c'], []]);
    const first = await root.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, MaxItems: 2 }));
    expect(first.IsTruncated).toBe(true);
    const rest = await root.send(
      new ListEntitiesForPolicyCommand({ PolicyArn: arn, MaxItems: 2, Marker: first.Marker }),
    );
    expect([...(first.PolicyGroups ?? []), ...(rest.PolicyGroups ?? [])].map((g) => g.GroupName)).toEqual([
      'ent-g',
    ]);
    expect([...(first.PolicyUsers ?? []), ...(rest.PolicyUsers ?? [])].map((u) => u.UserName)).toEqual([
      'ent-a',
      'ent-b',
      'ent-c',
    ]);
    await expect(
      root.send(new ListEntitiesForPolicyCommand({ PolicyArn: 'arn:aws:iam::000000000000:policy/nope' })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('tags, renames, boundaries, last use and the account summary', async () => {
    await root.send(new CreateUserCommand({ UserName: 'tom' }));
    await root.send(
      new TagUserCommand({
        UserName: 'tom',
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    // aws: keys are reserved (a user-set one could pose as a key policies trust).
    await expect(
      root.send(new TagUserCommand({ UserName: 'tom', Tags: [{ Key: 'aws:team', Value: 'x' }] })),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
    await root.send(new UntagUserCommand({ UserName: 'tom', TagKeys: ['a'] }));
    expect((await root.send(new ListUserTagsCommand({ UserName: 'tom' }))).Tags).toEqual([
      { Key: 'b', Value: '2' },
    ]);
    await root.send(new UpdateUserCommand({ UserName: 'tom', NewUserName: 'thomas', NewPath: '/x/' }));
    await root.send(
      new PutUserPermissionsBoundaryCommand({
        UserName: 'thomas',
        PermissionsBoundary: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    const t = await root.send(new GetUserCommand({ UserName: 'thomas' }));
    expect(t.User).toMatchObject({
      Arn: 'arn:aws:iam::000000000000:user/x/thomas',
      PermissionsBoundary: { PermissionsBoundaryArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' },
      Tags: [{ Key: 'b', Value: '2' }],
    });
    const k = await root.send(new CreateAccessKeyCommand({ UserName: 'thomas' }));
    const lu = await root.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKey?.AccessKeyId }));
    expect(lu).toMatchObject({
      UserName: 'thomas',
      AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' },
    });
    const sum = await root.send(new GetAccountSummaryCommand({}));
    expect(sum.SummaryMap?.Users).toBeGreaterThan(0);
    expect(sum.SummaryMap?.AccessKeysPerUserQuota).toBe(2);
    const me = await root.send(new GetUserCommand({}));
    expect(me.User?.Arn).toBe('arn:aws:iam::000000000000:root');
  });

  it('simulates principal and custom policies with the policy engine', async () => {
    await root.send(new CreateUserCommand({ UserName: 'sim' }));
    await root.send(new PutUserPolicyCommand({ UserName: 'sim', PolicyName: 'p', PolicyDocument: DOC }));
    const r = await root.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: 'arn:aws:iam::000000000000:user/sim',
        ActionNames: ['s3:GetObject', 's3:PutObject'],
        ResourceArns: ['arn:aws:s3:::my-bucket/k'],
      }),
    );
    expect(r.EvaluationResults?.map((e) => [e.EvalActionName, e.EvalDecision])).toEqual([
      ['s3:GetObject', 'allowed'],
      ['s3:PutObject', 'implicitDeny'],
    ]);
    expect(r.EvaluationResults?.[0]?.MatchedStatements?.[0]?.SourcePolicyId).toBe(
      'arn:aws:iam::000000000000:user/sim/inline/p',
    );
    const c = await root.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [
          DOC,
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }],
          }),
        ],
        ActionNames: ['s3:GetObject'],
        ResourceArns: ['arn:aws:s3:::my-bucket/k'],
      }),
    );
    expect(c.EvaluationResults?.[0]?.EvalDecision).toBe('explicitDeny');
  });

  it('creates tenants whose root sees nothing of the default tenant', async () => {
    const rootP = cache.lookup(ROOT.accessKeyId)!.principal;
    const created = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({ Action: 'CreateTenant', TenantName: 'acme' }),
      'r',
    );
    expect(created.status).toBe(200);
    const id = /<AccessKeyId>([^<]+)</.exec(created.xml)?.[1] ?? '';
    const secret = /<SecretAccessKey>([^<]+)</.exec(created.xml)?.[1] ?? '';
    const account = /<AccountId>(\d{12})</.exec(created.xml)?.[1] ?? '';
    const acme = client(id, secret);
    expect((await acme.send(new ListUsersCommand({}))).Users).toEqual([]);
    expect((await acme.send(new GetUserCommand({}))).User?.Arn).toBe(`arn:aws:iam::${account}:root`);
    await acme.send(new CreateUserCommand({ UserName: 'alice' })); // same name as in the default tenant
    await expect(
      acme.send(
        new AttachUserPolicyCommand({
          UserName: 'alice',
          PolicyArn: 'arn:aws:iam::000000000000:policy/ReadOnlyManaged',
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const denied = await handleIamAction(
      deps,
      cache.lookup(id)!.principal,
      new URLSearchParams({ Action: 'ListTenants' }),
      'r',
    );
    expect(denied.status).toBe(403);
    const list = await handleIamAction(deps, rootP, new URLSearchParams({ Action: 'ListTenants' }), 'r');
    expect(list.xml).toContain('<TenantName>acme</TenantName>');
    await acme.send(new DeleteUserCommand({ UserName: 'alice' }));
    const del = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({ Action: 'DeleteTenant', TenantName: 'acme' }),
      'r',
    );
    expect(del.status).toBe(200);
    expect(cache.lookup(id)).toBeUndefined();
  });

  it('accepts caller-supplied keys and service accounts through the form', async () => {
    const rootP = cache.lookup(ROOT.accessKeyId)!.principal;
    await root.send(new CreateUserCommand({ UserName: 'svc' }));
    const one = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({ Action: 'CreateAccessKey', UserName: 'svc', AccessKeyId: 'myappkey' }),
      'r',
    );
    expect(one.errorCode).toBe('InvalidInput');
    const ok = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({
        Action: 'CreateAccessKey',
        UserName: 'svc',
        AccessKeyId: 'myappkey',
        SecretAccessKey: 'my-app-secret-value',
      }),
      'r',
    );
    expect(ok.xml).toContain('<AccessKeyId>myappkey</AccessKeyId>');
    expect(cache.lookup('myappkey')?.secretAccessKey).toBe('my-app-secret-value');
    const sa = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({ Action: 'CreateServiceAccount', ParentUser: 'svc', Description: 'ci' }),
      'r',
    );
    expect(sa.status).toBe(200);
    const saId = /<ServiceAccountId>([^<]+)</.exec(sa.xml)?.[1] ?? '';
    expect(sa.xml).toMatch(
      /<ParentUser>svc<\/ParentUser><Description>ci<\/Description><AccessKeyId>CA00[A-Z0-9]{16}<\/AccessKeyId><SecretAccessKey>/,
    );
    const list = await handleIamAction(
      deps,
      rootP,
      new URLSearchParams({ Action: 'ListServiceAccounts', ParentUser: 'svc' }),
      'r',
    );
    expect(list.xml).toContain(`<ServiceAccountId>${saId}</ServiceAccountId>`);
    expect(list.xml).not.toContain('<SecretAccessKey>');
    await expect(root.send(new DeleteUserCommand({ UserName: 'svc' }))).rejects.toMatchObject({
      name: 'DeleteConflictException',
    });
    expect(
      (
        await handleIamAction(
          deps,
          rootP,
          new URLSearchParams({ Action: 'DeleteServiceAccount', ServiceAccountId: saId }),
          'r',
        )
      ).status,
    ).toBe(200);
  });

  it('still answers list actions with the exact envelope', async () => {
    const r = await handleIamAction(
      deps,
      cache.lookup(ROOT.accessKeyId)!.principal,
      new URLSearchParams({ Action: 'ListGroups', MaxItems: '1' }),
      'rid',
    );
    expect(
      r.xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListGroupsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListGroupsResult><Groups>',
      ),
    ).toBe(true);
    expect(
      r.xml.endsWith(
        '</ListGroupsResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListGroupsResponse>',
      ),
    ).toBe(true);
  });
});
