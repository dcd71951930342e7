// Canonical headers: for each signed header, in the order the client listed them (which SigV4
// requires to be sorted), `name:value\n` with the value trimmed, runs of spaces/tabs collapsed to
// one space, and repeated headers joined with ','.
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

const NEEDS_CLEANUP = /^[ \t]|[ \t]$|[ \t][ \t]|\t|[\r\n]/;
const WS_RUN = /[ \t\r\n]+/g;

export function canonicalHeaderValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') return v.map((x) => canonicalHeaderValue(x)).join(',');
  if (!NEEDS_CLEANUP.test(v)) return v;
  return v.replace(WS_RUN, ' ').trim();
}

export function canonicalHeaders(headers: HeaderBag, signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) out += name + ':' + canonicalHeaderValue(headers[name]) + '\n';
  return out;
}
