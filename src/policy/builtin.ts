// Built-in policy documents: WEKA's predefined readonly / writeonly / readwrite (exist in every
// tenant, attachable, immutable), the AWS managed policies Coffer understands, and the documents
// behind the user roles Reader / Writer / SuperUser. Compiled once at module load.
import { compilePolicy } from './parse.js';
import type { CompiledPolicy } from './types.js';

const v = '2012-10-17';

export interface BuiltinPolicy {
  name: string;
  /** `weka` predefined (per tenant), `aws` managed (arn:aws:iam::aws:policy/NAME), `role` (user role shorthand). */
  origin: 'weka' | 'aws' | 'role';
  description: string;
  document: { Version: string; Statement: readonly unknown[] };
}

const defs: readonly BuiltinPolicy[] = [
  // WEKA predefined policies, verbatim from the WEKA S3 user documentation.
  {
    name: 'readonly',
    origin: 'weka',
    description: 'WEKA predefined: list buckets and uploads, read objects, bucket location/policy/tagging.',
    document: {
      Version: v,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            's3:ListAllMyBuckets',
            's3:ListBucket',
            's3:ListBucketMultipartUploads',
            's3:ListMultipartUploadParts',
            's3:GetBucketLocation',
            's3:GetBucketPolicy',
            's3:GetBucketTagging',
            's3:GetObject',
          ],
          Resource: ['arn:aws:s3:::*'],
        },
      ],
    },
  },
  {
    name: 'writeonly',
    origin: 'weka',
    description: 'WEKA predefined: upload objects.',
    document: {
      Version: v,
      Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::*'] }],
    },
  },
  {
    name: 'readwrite',
    origin: 'weka',
    description: 'WEKA predefined: every S3 action on every bucket.',
    document: {
      Version: v,
      Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }],
    },
  },
  // AWS managed policies (current default versions as published by AWS).
  {
    name: 'AmazonS3FullAccess',
    origin: 'aws',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    document: {
      Version: v,
      Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }],
    },
  },
  {
    name: 'AmazonS3ReadOnlyAccess',
    origin: 'aws',
    description: 'Provides read only access to all buckets via the AWS Management Console.',
    document: {
      Version: v,
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'IAMFullAccess',
    origin: 'aws',
    description: 'Provides full access to IAM via the AWS Management Console.',
    document: {
      Version: v,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iam:*',
            'organizations:DescribeAccount',
            'organizations:DescribeOrganization',
            'organizations:DescribeOrganizationalUnit',
            'organizations:DescribePolicy',
            'organizations:ListChildren',
            'organizations:ListParents',
            'organizations:ListPoliciesForTarget',
            'organizations:ListRoots',
            'organizations:ListPolicies',
            'organizations:ListTargetsForPolicy',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'IAMReadOnlyAccess',
    origin: 'aws',
    description: 'Provides read only access to IAM via the AWS Management Console.',
    document: {
      Version: v,
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'iam:GenerateCredentialReport',
            'iam:GenerateServiceLastAccessedDetails',
            'iam:Get*',
            'iam:List*',
            'iam:SimulateCustomPolicy',
            'iam:SimulatePrincipalPolicy',
          ],
          Resource: '*',
        },
      ],
    },
  },
  // User roles (S4). HEAD requests authorise as s3:GetObject / s3:ListBucket, so get + list covers them.
  {
    name: 'Reader',
    origin: 'role',
    description: 'Role Reader: list, get and head buckets and objects.',
    document: {
      Version: v,
      Statement: [{ Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }],
    },
  },
  {
    name: 'Writer',
    origin: 'role',
    description: 'Role Writer: Reader plus create/delete buckets, put/delete objects, bucket configuration.',
    document: {
      Version: v,
      Statement: [
        { Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' },
        {
          Sid: 'Write',
          Effect: 'Allow',
          Action: [
            's3:CreateBucket',
            's3:DeleteBucket*',
            's3:PutBucket*',
            's3:PutObject*',
            's3:DeleteObject*',
            's3:AbortMultipartUpload',
            's3:RestoreObject',
            's3:PutLifecycleConfiguration',
            's3:PutEncryptionConfiguration',
            's3:PutReplicationConfiguration',
            's3:PutAccelerateConfiguration',
            's3:PutAnalyticsConfiguration',
            's3:PutInventoryConfiguration',
            's3:PutMetricsConfiguration',
            's3:PutIntelligentTieringConfiguration',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'SuperUser',
    origin: 'role',
    description: 'Role SuperUser: every action on every resource, including IAM and the admin API.',
    document: { Version: v, Statement: [{ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }] },
  },
];

export type BuiltinPolicyName =
  | 'readonly'
  | 'writeonly'
  | 'readwrite'
  | 'AmazonS3FullAccess'
  | 'AmazonS3ReadOnlyAccess'
  | 'IAMFullAccess'
  | 'IAMReadOnlyAccess'
  | 'Reader'
  | 'Writer'
  | 'SuperUser';

export const builtinPolicies: ReadonlyMap<
  string,
  BuiltinPolicy & { compiled: CompiledPolicy; text: string }
> = new Map(
  defs.map((d) => [
    d.name,
    {
      ...d,
      compiled: compilePolicy(d.document, { kind: 'identity' }),
      text: JSON.stringify(d.document, null, 2),
    },
  ]),
);

/** The built-in policy by name (throws on an unknown name: these are compile-time constants). */
export function builtinPolicy(
  name: BuiltinPolicyName,
): BuiltinPolicy & { compiled: CompiledPolicy; text: string } {
  const p = builtinPolicies.get(name);
  if (!p) throw new Error(`unknown built-in policy ${name}`);
  return p;
}

/** ARN of an AWS managed policy as AWS spells it. */
export const awsManagedPolicyArn = (name: string): string => `arn:aws:iam::aws:policy/${name}`;

/** The built-in policy behind each user role. */
export const rolePolicy = { Reader: 'Reader', Writer: 'Writer', SuperUser: 'SuperUser' } as const;
