// The one table of S3 operations: how each is recognised (method, level, sub-resource, header),
// which IAM action(s) on which resource it needs, and which condition keys it contributes. Routing,
// authorisation, metrics labels and docs/s3-compatibility.md all derive from it.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
// and https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS';
/** service: `/`; bucket: `/bucket`; object: `/bucket/key`. */
export type Level = 'service' | 'bucket' | 'object';
/** Which ARN an action is checked against. `copySource`: the object named by x-amz-copy-source. */
export type ResourceKind = 'all' | 'bucket' | 'object' | 'copySource' | 'eachKey';

export interface ActionSpec {
  readonly action: string;
  readonly resource: ResourceKind;
}

export interface OperationSpec {
  readonly name: string;
  readonly method: HttpMethod;
  readonly level: Level;
  /** Query key that must be present (`tagging`, `uploads` …), optionally with a value (`list-type=2`). */
  readonly subresource?: string;
  readonly subresourceValue?: string;
  /** A second query key that must be present as well (UploadPart: uploadId + partNumber). */
  readonly also?: string;
  /** Request header that must be present (CopyObject: x-amz-copy-source). */
  readonly header?: string;
  readonly actions: readonly ActionSpec[];
  /** Operation-specific condition keys (the global ones are in `globalConditionKeys`). */
  readonly conditionKeys: readonly string[];
  /** false: recognised, answered with NotImplemented. */
  readonly supported: boolean;
  /** No authentication (CORS preflight). */
  readonly anonymous?: boolean;
  readonly notes?: string;
}

const a = (action: string, resource: ResourceKind): ActionSpec => ({ action, resource });
const LIST_KEYS = ['s3:prefix', 's3:delimiter', 's3:max-keys'] as const;
const PUT_KEYS = [
  's3:x-amz-acl',
  's3:x-amz-storage-class',
  's3:x-amz-server-side-encryption',
  's3:RequestObjectTag/<key>',
  's3:RequestObjectTagKeys',
] as const;

export const operations = [
  // --- service ---
  {
    name: 'ListBuckets',
    method: 'GET',
    level: 'service',
    actions: [a('s3:ListAllMyBuckets', 'all')],
    conditionKeys: [],
    supported: true,
    notes: 'Buckets of the caller’s tenant; prefix, max-buckets, continuation-token.',
  },
  // --- bucket ---
  {
    name: 'OptionsObject',
    method: 'OPTIONS',
    level: 'bucket',
    actions: [],
    conditionKeys: [],
    supported: true,
    anonymous: true,
    notes: 'CORS preflight, answered from the bucket’s CORS rules without authentication.',
  },
  {
    name: 'CreateBucket',
    method: 'PUT',
    level: 'bucket',
    actions: [a('s3:CreateBucket', 'bucket')],
    conditionKeys: ['s3:x-amz-acl', 's3:LocationConstraint'],
    supported: true,
    notes: 'S3 naming rules; LocationConstraint must be the configured region.',
  },
  {
    name: 'DeleteBucket',
    method: 'DELETE',
    level: 'bucket',
    actions: [a('s3:DeleteBucket', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'HeadBucket',
    method: 'HEAD',
    level: 'bucket',
    actions: [a('s3:ListBucket', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'GetBucketLocation',
    method: 'GET',
    level: 'bucket',
    subresource: 'location',
    actions: [a('s3:GetBucketLocation', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'GetBucketTagging',
    method: 'GET',
    level: 'bucket',
    subresource: 'tagging',
    actions: [a('s3:GetBucketTagging', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'PutBucketTagging',
    method: 'PUT',
    level: 'bucket',
    subresource: 'tagging',
    actions: [a('s3:PutBucketTagging', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'DeleteBucketTagging',
    method: 'DELETE',
    level: 'bucket',
    subresource: 'tagging',
    actions: [a('s3:PutBucketTagging', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'GetBucketVersioning',
    method: 'GET',
    level: 'bucket',
    subresource: 'versioning',
    actions: [a('s3:GetBucketVersioning', 'bucket')],
    conditionKeys: [],
    supported: true,
    notes: 'Always unversioned (empty VersioningConfiguration).',
  },
  {
    name: 'PutBucketVersioning',
    method: 'PUT',
    level: 'bucket',
    subresource: 'versioning',
    actions: [a('s3:PutBucketVersioning', 'bucket')],
    conditionKeys: [],
    supported: false,
  },
  {
    name: 'GetBucketCors',
    method: 'GET',
    level: 'bucket',
    subresource: 'cors',
    actions: [a('s3:GetBucketCORS', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'PutBucketCors',
    method: 'PUT',
    level: 'bucket',
    subresource: 'cors',
    actions: [a('s3:PutBucketCORS', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'DeleteBucketCors',
    method: 'DELETE',
    level: 'bucket',
    subresource: 'cors',
    actions: [a('s3:PutBucketCORS', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'GetBucketAcl',
    method: 'GET',
    level: 'bucket',
    subresource: 'acl',
    actions: [a('s3:GetBucketAcl', 'bucket')],
    conditionKeys: [],
    supported: true,
    notes: 'Owner with FULL_CONTROL (ACLs disabled, as S3’s BucketOwnerEnforced).',
  },
  {
    name: 'PutBucketAcl',
    method: 'PUT',
    level: 'bucket',
    subresource: 'acl',
    actions: [a('s3:PutBucketAcl', 'bucket')],
    conditionKeys: ['s3:x-amz-acl'],
    supported: false,
  },
  {
    name: 'GetBucketPolicy',
    method: 'GET',
    level: 'bucket',
    subresource: 'policy',
    actions: [a('s3:GetBucketPolicy', 'bucket')],
    conditionKeys: [],
    supported: true,
    notes: 'The stored JSON as put; NoSuchBucketPolicy when none.',
  },
  {
    name: 'PutBucketPolicy',
    method: 'PUT',
    level: 'bucket',
    subresource: 'policy',
    actions: [a('s3:PutBucketPolicy', 'bucket')],
    conditionKeys: [],
    supported: true,
    notes:
      "Validated as a resource policy by the engine (MalformedPolicy with its message), ≤ 20 KB, resources within the bucket; compiled once, cached. Explicit Deny applies to the bucket owner's root too, except for Get/Put/DeleteBucketPolicy (AWS's lock-out rule).",
  },
  {
    name: 'DeleteBucketPolicy',
    method: 'DELETE',
    level: 'bucket',
    subresource: 'policy',
    actions: [a('s3:DeleteBucketPolicy', 'bucket')],
    conditionKeys: [],
    supported: true,
    notes: '204 whether or not a policy existed.',
  },
  {
    name: 'ListObjectsV2',
    method: 'GET',
    level: 'bucket',
    subresource: 'list-type',
    subresourceValue: '2',
    actions: [a('s3:ListBucket', 'bucket')],
    conditionKeys: LIST_KEYS,
    supported: true,
  },
  {
    name: 'ListObjectVersions',
    method: 'GET',
    level: 'bucket',
    subresource: 'versions',
    actions: [a('s3:ListBucketVersions', 'bucket')],
    conditionKeys: LIST_KEYS,
    supported: true,
    notes: 'Unversioned buckets: current objects with VersionId null.',
  },
  {
    name: 'ListMultipartUploads',
    method: 'GET',
    level: 'bucket',
    subresource: 'uploads',
    actions: [a('s3:ListBucketMultipartUploads', 'bucket')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'ListObjects',
    method: 'GET',
    level: 'bucket',
    actions: [a('s3:ListBucket', 'bucket')],
    conditionKeys: LIST_KEYS,
    supported: true,
  },
  {
    name: 'DeleteObjects',
    method: 'POST',
    level: 'bucket',
    subresource: 'delete',
    actions: [a('s3:DeleteObject', 'eachKey')],
    conditionKeys: [],
    supported: true,
    notes: 'Up to 1000 keys; s3:DeleteObject is checked per key; Quiet mode.',
  },
  {
    name: 'PostObject',
    method: 'POST',
    level: 'bucket',
    actions: [a('s3:PutObject', 'object')],
    conditionKeys: PUT_KEYS,
    supported: false,
    notes: 'Browser POST uploads with a POST policy.',
  },
  // --- object ---
  {
    name: 'OptionsObject',
    method: 'OPTIONS',
    level: 'object',
    actions: [],
    conditionKeys: [],
    supported: true,
    anonymous: true,
  },
  {
    name: 'GetObjectTagging',
    method: 'GET',
    level: 'object',
    subresource: 'tagging',
    actions: [a('s3:GetObjectTagging', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
  },
  {
    name: 'PutObjectTagging',
    method: 'PUT',
    level: 'object',
    subresource: 'tagging',
    actions: [a('s3:PutObjectTagging', 'object')],
    conditionKeys: ['s3:RequestObjectTag/<key>', 's3:RequestObjectTagKeys', 's3:ExistingObjectTag/<key>'],
    supported: true,
  },
  {
    name: 'DeleteObjectTagging',
    method: 'DELETE',
    level: 'object',
    subresource: 'tagging',
    actions: [a('s3:DeleteObjectTagging', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
  },
  {
    name: 'GetObjectAcl',
    method: 'GET',
    level: 'object',
    subresource: 'acl',
    actions: [a('s3:GetObjectAcl', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
    notes: 'Owner with FULL_CONTROL.',
  },
  {
    name: 'PutObjectAcl',
    method: 'PUT',
    level: 'object',
    subresource: 'acl',
    actions: [a('s3:PutObjectAcl', 'object')],
    conditionKeys: ['s3:x-amz-acl'],
    supported: false,
  },
  {
    name: 'GetObjectAttributes',
    method: 'GET',
    level: 'object',
    subresource: 'attributes',
    actions: [a('s3:GetObjectAttributes', 'object'), a('s3:GetObject', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
  },
  {
    name: 'ListParts',
    method: 'GET',
    level: 'object',
    subresource: 'uploadId',
    actions: [a('s3:ListMultipartUploadParts', 'object')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'GetObject',
    method: 'GET',
    level: 'object',
    actions: [a('s3:GetObject', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
    notes:
      'Range (one range), conditionals, response-* overrides (signed requests only), partNumber, x-amz-checksum-mode.',
  },
  {
    name: 'HeadObject',
    method: 'HEAD',
    level: 'object',
    actions: [a('s3:GetObject', 'object')],
    conditionKeys: ['s3:ExistingObjectTag/<key>'],
    supported: true,
  },
  {
    name: 'UploadPartCopy',
    method: 'PUT',
    level: 'object',
    subresource: 'uploadId',
    also: 'partNumber',
    header: 'x-amz-copy-source',
    actions: [a('s3:PutObject', 'object'), a('s3:GetObject', 'copySource')],
    conditionKeys: ['s3:x-amz-copy-source'],
    supported: true,
  },
  {
    name: 'UploadPart',
    method: 'PUT',
    level: 'object',
    subresource: 'uploadId',
    also: 'partNumber',
    actions: [a('s3:PutObject', 'object')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'CopyObject',
    method: 'PUT',
    level: 'object',
    header: 'x-amz-copy-source',
    actions: [a('s3:PutObject', 'object'), a('s3:GetObject', 'copySource')],
    conditionKeys: [...PUT_KEYS, 's3:x-amz-copy-source', 's3:x-amz-metadata-directive'],
    supported: true,
    notes:
      'COPY/REPLACE metadata and tagging directives, x-amz-copy-source-if-*; STANDARD unless x-amz-storage-class names a class.',
  },
  {
    name: 'PutObject',
    method: 'PUT',
    level: 'object',
    actions: [a('s3:PutObject', 'object')],
    conditionKeys: PUT_KEYS,
    supported: true,
    notes: 'Content-MD5, x-amz-checksum-* (header or trailer), x-amz-tagging, If-None-Match: *, If-Match.',
  },
  {
    name: 'DeleteObject',
    method: 'DELETE',
    level: 'object',
    actions: [a('s3:DeleteObject', 'object')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'AbortMultipartUpload',
    method: 'DELETE',
    level: 'object',
    subresource: 'uploadId',
    actions: [a('s3:AbortMultipartUpload', 'object')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'CreateMultipartUpload',
    method: 'POST',
    level: 'object',
    subresource: 'uploads',
    actions: [a('s3:PutObject', 'object')],
    conditionKeys: PUT_KEYS,
    supported: true,
  },
  {
    name: 'CompleteMultipartUpload',
    method: 'POST',
    level: 'object',
    subresource: 'uploadId',
    actions: [a('s3:PutObject', 'object')],
    conditionKeys: [],
    supported: true,
  },
  {
    name: 'RestoreObject',
    method: 'POST',
    level: 'object',
    subresource: 'restore',
    actions: [a('s3:RestoreObject', 'object')],
    conditionKeys: [],
    supported: false,
  },
  {
    name: 'SelectObjectContent',
    method: 'POST',
    level: 'object',
    subresource: 'select',
    actions: [a('s3:GetObject', 'object')],
    conditionKeys: [],
    supported: false,
  },
] as const satisfies readonly OperationSpec[];

export type Operation = (typeof operations)[number];
export type OperationName = Operation['name'];
export type SupportedOperationName = Extract<Operation, { supported: true }>['name'];

/**
 * Sub-resources S3 knows that no row above implements: a request naming one is answered with
 * NotImplemented rather than being mistaken for a plain GetObject/ListObjects.
 */
export const unsupportedSubresources: readonly string[] = [
  'accelerate',
  'analytics',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policyStatus',
  'publicAccessBlock',
  'renameObject',
  'replication',
  'requestPayment',
  'retention',
  'session',
  'torrent',
  'website',
];

/** Every query key that selects an operation (as opposed to parameters like prefix or x-id). */
export const subresourceKeys: ReadonlySet<string> = new Set([
  ...operations.flatMap((o: OperationSpec) => (o.subresource === undefined ? [] : [o.subresource])),
  ...unsupportedSubresources,
]);

/** Condition keys every S3 request carries (built by api/conditions.ts). */
export const globalConditionKeys: readonly string[] = [
  'aws:SourceIp',
  'aws:SecureTransport',
  'aws:CurrentTime',
  'aws:EpochTime',
  'aws:UserAgent',
  'aws:Referer',
  'aws:username',
  'aws:userid',
  'aws:PrincipalAccount',
  'aws:PrincipalArn',
  'aws:PrincipalType',
  's3:authType',
  's3:signatureversion',
  's3:x-amz-content-sha256',
];

/** Distinct operation names, for metrics labels and docs. */
export const operationNames: readonly OperationName[] = [...new Set(operations.map((o) => o.name))];
