// The S3 XML error body (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):
// <Error><Code/><Message/><Resource/><RequestId/>…extra…</Error>. Shared by the S3 surface and the
// HTTP edge (which answers transport failures before any surface sees the request).
import type { CofferError } from './error.js';

const xmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

// XML 1.0 cannot carry most C0 control characters, even escaped.
// eslint-disable-next-line no-control-regex
const invalidXmlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Escapes text for XML content and attributes; also drops characters XML 1.0 cannot carry. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => xmlEscapes[c] ?? c).replace(invalidXmlChars, '');
}

export function s3ErrorXml(err: CofferError, resource: string, requestId: string): string {
  let extra = '';
  for (const [k, v] of Object.entries(err.extra)) extra += `<${k}>${escapeXml(v)}</${k}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    `<Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId>${extra}</Error>`
  );
}
