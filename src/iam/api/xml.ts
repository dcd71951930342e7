// XML of the AWS query protocol for IAM, built by hand: the response envelope, the error envelope,
// and the shapes (User, Group, Policy, …) with AWS's element names and order.
import type {
  AccessKeyRecord,
  GroupRecord,
  IamTag,
  PolicyVersionRecord,
  UserRecord,
} from '../../meta/iam-ports.js';
import type { PolicyView, Scope, ServiceAccountView } from '../service.js';
import { groupArn, userArn } from '../service.js';

export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c] ?? c);

/** `<name>value</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${esc(String(value))}</${name}>`;
}

/** AWS writes timestamps as ISO 8601 without milliseconds. */
export const isoDate = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const members = <T>(name: string, items: readonly T[], render: (item: T) => string): string =>
  `<${name}>${items.map((i) => `<member>${render(i)}</member>`).join('')}</${name}>`;

/** IAM returns policy documents URL-encoded (RFC 3986). */
export const encodeDocument = (doc: string): string =>
  encodeURIComponent(doc).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function response(action: string, requestId: string, result: string | undefined): string {
  const body = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${IAM_NS}">${body}` +
    `<ResponseMetadata><RequestId>${esc(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function errorResponse(
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${IAM_NS}"><Error><Type>${type}</Type>` +
    `${el('Code', code)}${el('Message', message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`
  );
}

export const tagsXml = (tags: readonly IamTag[]): string =>
  members('Tags', tags, (t) => el('Key', t.key) + el('Value', t.value));

export function userXml(scope: Scope, u: UserRecord, detail: boolean): string {
  let x =
    el('Path', u.path) +
    el('UserName', u.name) +
    el('UserId', u.id) +
    el('Arn', userArn(scope, u)) +
    el('CreateDate', isoDate(u.createdAt));
  if (detail && u.permissionsBoundary !== undefined) {
    x +=
      '<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType>' +
      `${el('PermissionsBoundaryArn', u.permissionsBoundary)}</PermissionsBoundary>`;
  }
  if (detail && u.tags.length > 0) x += tagsXml(u.tags);
  return x;
}

export const groupXml = (scope: Scope, g: GroupRecord): string =>
  el('Path', g.path) +
  el('GroupName', g.name) +
  el('GroupId', g.id) +
  el('Arn', groupArn(scope, g)) +
  el('CreateDate', isoDate(g.createdAt));

export const policyXml = (p: PolicyView): string =>
  el('PolicyName', p.name) +
  el('PolicyId', p.id) +
  el('Arn', p.arn) +
  el('Path', p.path) +
  el('DefaultVersionId', p.defaultVersionId) +
  el('AttachmentCount', p.attachmentCount) +
  el('PermissionsBoundaryUsageCount', p.boundaryUsageCount) +
  el('IsAttachable', true) +
  el('Description', p.description) +
  el('CreateDate', isoDate(p.createdAt)) +
  el('UpdateDate', isoDate(p.updatedAt));

export const versionXml = (v: PolicyVersionRecord, withDocument: boolean): string =>
  (withDocument ? el('Document', encodeDocument(v.document)) : '') +
  el('VersionId', v.versionId) +
  el('IsDefaultVersion', v.isDefault) +
  el('CreateDate', isoDate(v.createdAt));

export const keyMetadataXml = (k: AccessKeyRecord, userName: string | undefined): string =>
  el('UserName', userName) +
  el('AccessKeyId', k.accessKeyId) +
  el('Status', k.status) +
  el('CreateDate', isoDate(k.createdAt));

export function serviceAccountXml(v: ServiceAccountView, secret?: string): string {
  return (
    el('ServiceAccountId', v.id) +
    el('ParentUser', v.parentUser) +
    el('Name', v.name) +
    el('Description', v.description) +
    el('AccessKeyId', v.accessKeyId) +
    el('SecretAccessKey', secret) +
    el('Status', v.status) +
    el('Expiration', v.expiresAt && isoDate(v.expiresAt)) +
    el('CreateDate', isoDate(v.createdAt)) +
    (v.policy === undefined ? '' : el('Policy', encodeDocument(v.policy)))
  );
}

export const paging = (p: { isTruncated: boolean; marker?: string }): string =>
  el('IsTruncated', p.isTruncated) + el('Marker', p.marker);
