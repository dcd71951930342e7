// IAM groups end to end with @aws-sdk/client-iam: create/get/list/update/delete, membership and
// ListGroupsForUser, inline and managed group policies, pagination, and the deletion rules (a user
// leaves its groups when deleted; a group goes only when empty and policy-free; attached policies stay).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
} from '@aws-sdk/client-iam';
import { startServer, type RunningServer } from '../helpers/server.js';

let s: RunningServer;
let root: IAMClient;
let account = '';

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
const readB = doc([
  {
    Effect: 'Allow',
    Action: ['s3:GetObject', 's3:ListBucket'],
    Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
  },
]);
const uniq = (() => {
  let n = 0;
  return (p: string) => `${p}${Date.now().toString(36)}${n++}`;
})();

beforeAll(async () => {
  s = await startServer();
  root = new IAMClient({
    endpoint: s.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  const me = await root.send(new GetUserCommand({}));
  account = /^arn:aws:iam::(\d{12}):root$/.exec(me.User?.Arn ?? '')?.[1] ?? '';
});
afterAll(async () => {
  await s?.stop();
});

describe('groups', () => {
  it('create, get, list, rename; duplicates and unknown groups are refused', async () => {
    const g = uniq('developers');
    const created = await root.send(new CreateGroupCommand({ GroupName: g, Path: '/eng/' }));
    expect(created.Group).toMatchObject({
      GroupName: g,
      Path: '/eng/',
      Arn: `arn:aws:iam::${account}:group/eng/${g}`,
    });
    expect(created.Group?.GroupId).toMatch(/^AGPA[A-Z0-9]+$/);
    expect(await errorCode(root.send(new CreateGroupCommand({ GroupName: g })))).toBe('EntityAlreadyExists');
    const got = await root.send(new GetGroupCommand({ GroupName: g }));
    expect(got.Group?.GroupId).toBe(created.Group?.GroupId);
    expect(got.Users).toEqual([]);
    expect(
      (await root.send(new ListGroupsCommand({ PathPrefix: '/eng/' }))).Groups?.map((x) => x.GroupName),
    ).toContain(g);

    const renamed = `${g}-new`;
    await root.send(new UpdateGroupCommand({ GroupName: g, NewGroupName: renamed }));
    expect(await errorCode(root.send(new GetGroupCommand({ GroupName: g })))).toBe('NoSuchEntity');
    expect((await root.send(new GetGroupCommand({ GroupName: renamed }))).Group?.GroupId).toBe(
      created.Group?.GroupId,
    );
    await root.send(new DeleteGroupCommand({ GroupName: renamed }));
    expect(await errorCode(root.send(new GetGroupCommand({ GroupName: renamed })))).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new DeleteGroupCommand({ GroupName: renamed })))).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new CreateGroupCommand({ GroupName: 'bad name' })))).toMatch(
      /^(ValidationError|InvalidInput)$/,
    );
  });

  it('membership: AddUserToGroup, GetGroup users, ListGroupsForUser, RemoveUserFromGroup', async () => {
    const g1 = uniq('g1');
    const g2 = uniq('g2');
    const alice = uniq('alice');
    const bob = uniq('bob');
    for (const g of [g1, g2]) await root.send(new CreateGroupCommand({ GroupName: g }));
    for (const u of [alice, bob]) await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(new AddUserToGroupCommand({ GroupName: g1, UserName: alice }));
    await root.send(new AddUserToGroupCommand({ GroupName: g1, UserName: bob }));
    await root.send(new AddUserToGroupCommand({ GroupName: g2, UserName: alice }));
    // Adding twice is harmless (AWS answers 200).
    await root.send(new AddUserToGroupCommand({ GroupName: g2, UserName: alice }));

    const members = await root.send(new GetGroupCommand({ GroupName: g1 }));
    expect(members.Users?.map((u) => u.UserName).sort()).toEqual([alice, bob].sort());
    expect(members.Users?.find((u) => u.UserName === alice)?.Arn).toBe(
      `arn:aws:iam::${account}:user/${alice}`,
    );
    const paged = await root.send(new GetGroupCommand({ GroupName: g1, MaxItems: 1 }));
    expect(paged.Users).toHaveLength(1);
    expect(paged.IsTruncated).toBe(true);
    const rest = await root.send(new GetGroupCommand({ GroupName: g1, Marker: paged.Marker }));
    expect([...(paged.Users ?? []), ...(rest.Users ?? [])].map((u) => u.UserName).sort()).toEqual(
      [alice, bob].sort(),
    );

    const forAlice = await root.send(new ListGroupsForUserCommand({ UserName: alice }));
    expect(forAlice.Groups?.map((g) => g.GroupName).sort()).toEqual([g1, g2].sort());
    expect(
      (await root.send(new ListGroupsForUserCommand({ UserName: bob }))).Groups?.map((g) => g.GroupName),
    ).toEqual([g1]);

    await root.send(new RemoveUserFromGroupCommand({ GroupName: g1, UserName: alice }));
    expect(
      (await root.send(new ListGroupsForUserCommand({ UserName: alice }))).Groups?.map((g) => g.GroupName),
    ).toEqual([g2]);
    expect(
      await errorCode(root.send(new RemoveUserFromGroupCommand({ GroupName: g1, UserName: alice }))),
    ).toBe('NoSuchEntity');
    expect(
      await errorCode(root.send(new AddUserToGroupCommand({ GroupName: g1, UserName: uniq('ghost') }))),
    ).toBe('NoSuchEntity');
    expect(
      await errorCode(root.send(new AddUserToGroupCommand({ GroupName: uniq('ghost'), UserName: alice }))),
    ).toBe('NoSuchEntity');
    expect(await errorCode(root.send(new ListGroupsForUserCommand({ UserName: uniq('ghost') })))).toBe(
      'NoSuchEntity',
    );
  });

  it('inline group policies: put, get, list, delete', async () => {
    const g = uniq('inl');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    await root.send(new PutGroupPolicyCommand({ GroupName: g, PolicyName: 'ReadB', PolicyDocument: readB }));
    const got = await root.send(new GetGroupPolicyCommand({ GroupName: g, PolicyName: 'ReadB' }));
    expect(got).toMatchObject({ GroupName: g, PolicyName: 'ReadB' });
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ''))).toEqual(JSON.parse(readB));
    expect((await root.send(new ListGroupPoliciesCommand({ GroupName: g }))).PolicyNames).toEqual(['ReadB']);
    expect(
      await errorCode(
        root.send(
          new PutGroupPolicyCommand({ GroupName: g, PolicyName: 'Bad', PolicyDocument: '{"Statement":' }),
        ),
      ),
    ).toBe('MalformedPolicyDocument');
    await root.send(new DeleteGroupPolicyCommand({ GroupName: g, PolicyName: 'ReadB' }));
    expect(await errorCode(root.send(new GetGroupPolicyCommand({ GroupName: g, PolicyName: 'ReadB' })))).toBe(
      'NoSuchEntity',
    );
    expect((await root.send(new ListGroupPoliciesCommand({ GroupName: g }))).PolicyNames).toEqual([]);
    await root.send(new DeleteGroupCommand({ GroupName: g }));
  });

  it('managed group policies: attach (three ARN spellings), list, detach', async () => {
    const g = uniq('mgd');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    const pname = uniq('ReadOnlyPolicy');
    const arn = (await root.send(new CreatePolicyCommand({ PolicyName: pname, PolicyDocument: readB })))
      .Policy!.Arn!;
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: `arn:aws:iam:::policy/${pname}` }),
    );
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readonly' }),
    );
    await root.send(
      new AttachGroupPolicyCommand({
        GroupName: g,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      }),
    );
    const att = await root.send(new ListAttachedGroupPoliciesCommand({ GroupName: g }));
    expect(att.AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual(
      [
        arn,
        `arn:aws:iam::${account}:policy/readonly`,
        'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      ].sort(),
    );
    expect((await root.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(1);
    // A policy attached to a group cannot be deleted.
    expect(await errorCode(root.send(new DeletePolicyCommand({ PolicyArn: arn })))).toBe('DeleteConflict');
    for (const p of att.AttachedPolicies ?? []) {
      await root.send(new DetachGroupPolicyCommand({ GroupName: g, PolicyArn: p.PolicyArn }));
    }
    expect(
      (await root.send(new ListAttachedGroupPoliciesCommand({ GroupName: g }))).AttachedPolicies,
    ).toEqual([]);
    expect(await errorCode(root.send(new DetachGroupPolicyCommand({ GroupName: g, PolicyArn: arn })))).toBe(
      'NoSuchEntity',
    );
    await root.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await root.send(new DeleteGroupCommand({ GroupName: g }));
  });

  it('a group is deletable only when empty and policy-free', async () => {
    const g = uniq('del');
    const u = uniq('member');
    await root.send(new CreateGroupCommand({ GroupName: g }));
    await root.send(new CreateUserCommand({ UserName: u }));
    await root.send(new AddUserToGroupCommand({ GroupName: g, UserName: u }));
    expect(await errorCode(root.send(new DeleteGroupCommand({ GroupName: g })))).toBe('DeleteConflict');
    await root.send(new RemoveUserFromGroupCommand({ GroupName: g, UserName: u }));
    await root.send(new PutGroupPolicyCommand({ GroupName: g, PolicyName: 'p', PolicyDocument: readB }));
    expect(await errorCode(root.send(new DeleteGroupCommand({ GroupName: g })))).toBe('DeleteConflict');
    await root.send(new DeleteGroupPolicyCommand({ GroupName: g, PolicyName: 'p' }));
    await root.send(
      new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    expect(await errorCode(root.send(new DeleteGroupCommand({ GroupName: g })))).toBe('DeleteConflict');
    await root.send(
      new DetachGroupPolicyCommand({ GroupName: g, PolicyArn: 'arn:aws:iam:::policy/readwrite' }),
    );
    await root.send(new DeleteGroupCommand({ GroupName: g }));
    expect(await errorCode(root.send(new GetGroupCommand({ GroupName: g })))).toBe('NoSuchEntity');
  });

  it('deleting a user removes it from every group', async () => {
    const g1 = uniq('left1');
    const g2 = uniq('left2');
    const u = uniq('leaver');
    const stay = uniq('stayer');
    for (const g of [g1, g2]) await root.send(new CreateGroupCommand({ GroupName: g }));
    for (const x of [u, stay]) await root.send(new CreateUserCommand({ UserName: x }));
    for (const g of [g1, g2]) await root.send(new AddUserToGroupCommand({ GroupName: g, UserName: u }));
    await root.send(new AddUserToGroupCommand({ GroupName: g1, UserName: stay }));
    await root.send(new DeleteUserCommand({ UserName: u }));
    expect((await root.send(new GetGroupCommand({ GroupName: g1 }))).Users?.map((x) => x.UserName)).toEqual([
      stay,
    ]);
    expect((await root.send(new GetGroupCommand({ GroupName: g2 }))).Users).toEqual([]);
    // The group it left is now deletable; a user re-created under that name is not a member.
    await root.send(new DeleteGroupCommand({ GroupName: g2 }));
    await root.send(new CreateUserCommand({ UserName: u }));
    expect((await root.send(new ListGroupsForUserCommand({ UserName: u }))).Groups).toEqual([]);
  });

  it('ListGroups paginates', async () => {
    const path = `/${uniq('gp')}/`;
    for (let i = 0; i < 12; i++)
      await root.send(
        new CreateGroupCommand({
          GroupName: `gp${String(i).padStart(2, '0')}${path.slice(1, -1)}`,
          Path: path,
        }),
      );
    const names: string[] = [];
    let marker: string | undefined;
    const sizes: number[] = [];
    for (let guard = 0; guard < 10; guard++) {
      const p = await root.send(new ListGroupsCommand({ PathPrefix: path, MaxItems: 5, Marker: marker }));
      sizes.push(p.Groups?.length ?? 0);
      names.push(...(p.Groups ?? []).map((g) => g.GroupName ?? ''));
      if (!p.IsTruncated) break;
      marker = p.Marker;
    }
    expect(sizes).toEqual([5, 5, 2]);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(12);
  });
});
