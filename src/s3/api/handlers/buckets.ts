// Bucket-level handlers: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
// bucket tagging, versioning (always unversioned), CORS configuration, bucket policy, the minimal ACL
// and the reads of the configurations Coffer has no setting for (lifecycle, encryption, website …).
import type { ErrorCode } from '../../../errors/codes.js';
import { CofferError } from '../../../errors/error.js';
import type { CorsRule, Tag } from '../../../meta/ports.js';
import { assertBucketName } from '../../service/bucket-name.js';
import { validateBucketPolicy } from '../../service/bucket-policy.js';
import { MAX_BUCKET_TAGS, validateTags } from '../../service/tags.js';
import {
  S3_NS,
  XML_DECL,
  children,
  el,
  esc,
  isoTime,
  optEl,
  parseXml,
  text,
  type XmlNode,
} from '../../xml.js';
import { emptyReply, xmlReply } from '../types.js';
import { bucketOf, ownerOf, readBody, readXml, refuseAcl, tenantOf, type Handler } from './common.js';

const ownerXml = (id: string): string =>
  `<Owner><ID>${esc(id)}</ID><DisplayName>${esc(id)}</DisplayName></Owner>`;

export const listBuckets: Handler = async (g, d) => {
  const q = g.ctx.query;
  const prefix = q.get('prefix') ?? '';
  const maxRaw = q.get('max-buckets');
  const max = maxRaw === null ? 10_000 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) {
    throw new CofferError('InvalidArgument', 'max-buckets must be an integer between 1 and 10000', {
      extra: { ArgumentName: 'max-buckets', ArgumentValue: maxRaw ?? '' },
    });
  }
  const token = q.get('continuation-token');
  const after = token === null ? '' : Buffer.from(token, 'base64url').toString('utf8');
  const all = (await d.meta.buckets.list(tenantOf(g))).filter(
    (b) => b.name.startsWith(prefix) && b.name > after,
  );
  const page = all.slice(0, max);
  let xml = `${XML_DECL}<ListAllMyBucketsResult xmlns="${S3_NS}">${ownerXml(ownerOf(g))}<Buckets>`;
  for (const b of page) {
    xml += `<Bucket><Name>${esc(b.name)}</Name><CreationDate>${isoTime(b.createdAt)}</CreationDate><BucketRegion>${esc(b.region)}</BucketRegion></Bucket>`;
  }
  xml += '</Buckets>';
  const last = page[page.length - 1];
  if (all.length > page.length && last !== undefined) {
    xml += el('ContinuationToken', Buffer.from(last.name).toString('base64url'));
  }
  if (q.has('prefix')) xml += el('Prefix', prefix);
  xml += '</ListAllMyBucketsResult>';
  return xmlReply(xml);
};

export const createBucket: Handler = async (g, d) => {
  const name = g.request.bucket ?? '';
  assertBucketName(name);
  refuseAcl(g, 'bucket');
  // CreateBucketConfiguration is optional; when given, its LocationConstraint must be our region.
  const body = await readBody(g, d.config.maxXmlBodySize);
  if (body.length > 0 && body.toString('utf8').trim() !== '') {
    const conf = parseXml(body, 'CreateBucketConfiguration');
    const lc = text(conf, 'LocationConstraint');
    if (lc !== undefined && lc !== d.config.region && !(lc === '' && d.config.region === 'us-east-1')) {
      throw new CofferError(
        d.config.region === 'us-east-1' ? 'InvalidLocationConstraint' : 'IllegalLocationConstraintException',
        `The ${lc === '' ? 'unspecified' : lc} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        { extra: { LocationConstraint: lc } },
      );
    }
  }
  const existing = await d.meta.buckets.get(name);
  const tenantId = tenantOf(g);
  if (existing !== undefined) {
    throw new CofferError(
      existing.tenantId === tenantId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists',
      undefined,
      {
        extra: { BucketName: name },
      },
    );
  }
  await d.blobs.createBucket(name);
  const created = await d.meta.buckets.create({
    name,
    tenantId,
    owner: ownerOf(g),
    createdAt: new Date(),
    region: d.config.region,
    tags: [],
  });
  if (!created) {
    const other = await d.meta.buckets.get(name);
    throw new CofferError(
      other?.tenantId === tenantId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists',
      undefined,
      {
        extra: { BucketName: name },
      },
    );
  }
  return emptyReply(200, { location: `/${name}` });
};

export const deleteBucket: Handler = async (g, d) => {
  const b = bucketOf(g);
  if ((await d.meta.objects.any(b.name)) || (await d.meta.multipart.any(b.name))) {
    throw new CofferError('BucketNotEmpty', undefined, { extra: { BucketName: b.name } });
  }
  await d.blobs.deleteBucket(b.name);
  await d.meta.buckets.delete(b.name);
  // The name may be taken by anyone next: its old policy must not follow it.
  d.policies.delete(b.name);
  return emptyReply(204);
};

export const headBucket: Handler = (g) => {
  const b = bucketOf(g);
  return Promise.resolve(
    emptyReply(200, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false' }),
  );
};

export const getBucketLocation: Handler = (g) => {
  const b = bucketOf(g);
  // S3 answers an empty LocationConstraint for us-east-1 (the classic region).
  const region = b.region === 'us-east-1' ? '' : b.region;
  return Promise.resolve(
    xmlReply(`${XML_DECL}<LocationConstraint xmlns="${S3_NS}">${esc(region)}</LocationConstraint>`),
  );
};

export function tagSetXml(tags: readonly Tag[]): string {
  let xml = `${XML_DECL}<Tagging xmlns="${S3_NS}"><TagSet>`;
  for (const t of tags) xml += `<Tag>${el('Key', t.key)}${el('Value', t.value)}</Tag>`;
  return xml + '</TagSet></Tagging>';
}

/** `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` */
export function parseTagging(root: XmlNode, max: number): Tag[] {
  const sets = children(root, 'TagSet');
  if (sets.length !== 1) throw new CofferError('MalformedXML');
  const tags: Tag[] = [];
  for (const t of children(sets[0], 'Tag')) {
    const key = text(t, 'Key');
    const value = text(t, 'Value');
    if (key === undefined || value === undefined) throw new CofferError('MalformedXML');
    tags.push({ key, value });
  }
  return validateTags(tags, max);
}

export const getBucketTagging: Handler = (g) => {
  const b = bucketOf(g);
  if (b.tags.length === 0) {
    throw new CofferError('NoSuchTagSet', undefined, { extra: { BucketName: b.name } });
  }
  return Promise.resolve(xmlReply(tagSetXml(b.tags)));
};

export const putBucketTagging: Handler = async (g, d) => {
  const b = bucketOf(g);
  const tags = parseTagging(await readXml(g, d, 'Tagging'), MAX_BUCKET_TAGS);
  await d.meta.buckets.update(b.name, { tags });
  return emptyReply(204);
};

export const deleteBucketTagging: Handler = async (g, d) => {
  const b = bucketOf(g);
  await d.meta.buckets.update(b.name, { tags: [] });
  return emptyReply(204);
};

export const getBucketVersioning: Handler = (g) => {
  bucketOf(g);
  // Never enabled: S3 returns an empty configuration for buckets that never had versioning.
  return Promise.resolve(xmlReply(`${XML_DECL}<VersioningConfiguration xmlns="${S3_NS}"/>`));
};

const corsMethods = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

/** `<CORSConfiguration><CORSRule>…</CORSRule>…</CORSConfiguration>`, validated as S3 does. */
export function parseCors(root: XmlNode): CorsRule[] {
  const rules = children(root, 'CORSRule');
  if (rules.length === 0 || rules.length > 100) throw new CofferError('MalformedXML');
  const strings = (n: XmlNode, name: string): string[] =>
    children(n, name).map((c) => {
      if (typeof c !== 'string') throw new CofferError('MalformedXML');
      return c.trim();
    });
  return rules.map((r) => {
    const rule: CorsRule = {
      allowedOrigins: strings(r, 'AllowedOrigin'),
      allowedMethods: strings(r, 'AllowedMethod'),
      allowedHeaders: strings(r, 'AllowedHeader'),
      exposeHeaders: strings(r, 'ExposeHeader'),
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0)
      throw new CofferError('MalformedXML');
    for (const m of rule.allowedMethods) {
      if (!corsMethods.has(m)) {
        throw new CofferError(
          'InvalidRequest',
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
      }
    }
    for (const o of rule.allowedOrigins) {
      if (o.split('*').length > 2) {
        throw new CofferError('InvalidRequest', `AllowedOrigin "${o}" can not have more than one wildcard.`);
      }
    }
    for (const h of rule.allowedHeaders) {
      if (h.split('*').length > 2) {
        throw new CofferError('InvalidRequest', `AllowedHeader "${h}" can not have more than one wildcard.`);
      }
    }
    const id = text(r, 'ID');
    if (id !== undefined) rule.id = id;
    const age = text(r, 'MaxAgeSeconds');
    if (age !== undefined) {
      const n = Number(age.trim());
      if (!Number.isInteger(n) || n < 0) throw new CofferError('MalformedXML');
      rule.maxAgeSeconds = n;
    }
    return rule;
  });
}

export function corsXml(rules: readonly CorsRule[]): string {
  let xml = `${XML_DECL}<CORSConfiguration xmlns="${S3_NS}">`;
  for (const r of rules) {
    xml += '<CORSRule>' + optEl('ID', r.id);
    for (const h of r.allowedHeaders) xml += el('AllowedHeader', h);
    for (const m of r.allowedMethods) xml += el('AllowedMethod', m);
    for (const o of r.allowedOrigins) xml += el('AllowedOrigin', o);
    for (const e of r.exposeHeaders) xml += el('ExposeHeader', e);
    if (r.maxAgeSeconds !== undefined) xml += `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>`;
    xml += '</CORSRule>';
  }
  return xml + '</CORSConfiguration>';
}

export const getBucketCors: Handler = (g) => {
  const b = bucketOf(g);
  if (b.cors === undefined || b.cors.length === 0) {
    throw new CofferError('NoSuchCORSConfiguration', undefined, { extra: { BucketName: b.name } });
  }
  return Promise.resolve(xmlReply(corsXml(b.cors)));
};

export const putBucketCors: Handler = async (g, d) => {
  const b = bucketOf(g);
  const rules = parseCors(await readXml(g, d, 'CORSConfiguration'));
  await d.meta.buckets.update(b.name, { cors: rules });
  return emptyReply(200);
};

export const deleteBucketCors: Handler = async (g, d) => {
  const b = bucketOf(g);
  await d.meta.buckets.update(b.name, { cors: undefined });
  return emptyReply(204);
};

/** ACLs are disabled (as S3's default BucketOwnerEnforced): the owner has FULL_CONTROL. */
export function aclXml(owner: string): string {
  return (
    `${XML_DECL}<AccessControlPolicy xmlns="${S3_NS}">${ownerXml(owner)}<AccessControlList>` +
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">` +
    `<ID>${esc(owner)}</ID><DisplayName>${esc(owner)}</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
    `</AccessControlList></AccessControlPolicy>`
  );
}

export const getBucketAcl: Handler = (g) => Promise.resolve(xmlReply(aclXml(bucketOf(g).owner)));

// Bucket policy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html,
// …/API_PutBucketPolicy.html, …/API_DeleteBucketPolicy.html

export const getBucketPolicy: Handler = (g) => {
  const b = bucketOf(g);
  if (b.policy === undefined) {
    throw new CofferError('NoSuchBucketPolicy', undefined, { extra: { BucketName: b.name } });
  }
  return Promise.resolve({ status: 200, headers: { 'content-type': 'application/json' }, body: b.policy });
};

export const putBucketPolicy: Handler = async (g, d) => {
  const b = bucketOf(g);
  const text = (await readBody(g, d.config.maxXmlBodySize)).toString('utf8');
  const ref = validateBucketPolicy(b.name, text);
  await d.meta.buckets.update(b.name, { policy: text });
  // Compiled here, once: the request path only looks it up (and recompiles only if the stored
  // text changes under it, e.g. through another server).
  d.policies.set(b.name, text, ref);
  return emptyReply(204);
};

export const deleteBucketPolicy: Handler = async (g, d) => {
  const b = bucketOf(g);
  await d.meta.buckets.update(b.name, { policy: undefined });
  d.policies.delete(b.name);
  return emptyReply(204);
};

// Configurations Coffer has no setting for. Each read answers what S3 answers for a bucket that never
// had one: a 404 with the configuration's own code, or the one state Coffer is always in.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html and the
// GetBucketEncryption, GetBucketWebsite, GetObjectLockConfiguration, GetPublicAccessBlock,
// GetBucketOwnershipControls, GetBucketLogging, GetBucketNotificationConfiguration,
// GetBucketAccelerateConfiguration and GetBucketRequestPayment pages beside it.

const noConfiguration =
  (code: ErrorCode): Handler =>
  (g) => {
    const b = bucketOf(g);
    throw new CofferError(code, undefined, { extra: { BucketName: b.name } });
  };

/** A reply whose body never changes (a fresh reply each time: the responder adds its headers to it). */
const fixedConfiguration =
  (xml: string): Handler =>
  (g) => {
    bucketOf(g);
    return Promise.resolve(xmlReply(xml));
  };

export const getBucketLifecycleConfiguration = noConfiguration('NoSuchLifecycleConfiguration');
export const getBucketEncryption = noConfiguration('ServerSideEncryptionConfigurationNotFoundError');
export const getBucketWebsite = noConfiguration('NoSuchWebsiteConfiguration');
export const getObjectLockConfiguration = noConfiguration('ObjectLockConfigurationNotFoundError');
export const getPublicAccessBlock = noConfiguration('NoSuchPublicAccessBlockConfiguration');

/** ACLs are disabled: objects belong to the bucket owner, as with S3's BucketOwnerEnforced. */
export const getBucketOwnershipControls = fixedConfiguration(
  `${XML_DECL}<OwnershipControls xmlns="${S3_NS}"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`,
);
/** No LoggingEnabled element: server access logging is off. */
export const getBucketLogging = fixedConfiguration(`${XML_DECL}<BucketLoggingStatus xmlns="${S3_NS}"/>`);
/** Empty: no notifications are sent. */
export const getBucketNotificationConfiguration = fixedConfiguration(
  `${XML_DECL}<NotificationConfiguration xmlns="${S3_NS}"/>`,
);
/** Empty (no Status): transfer acceleration was never enabled. */
export const getBucketAccelerateConfiguration = fixedConfiguration(
  `${XML_DECL}<AccelerateConfiguration xmlns="${S3_NS}"/>`,
);
/** The bucket owner pays; requester-pays is not supported. */
export const getBucketRequestPayment = fixedConfiguration(
  `${XML_DECL}<RequestPaymentConfiguration xmlns="${S3_NS}"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`,
);
