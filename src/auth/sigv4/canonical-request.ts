// The canonical request: method, canonical URI, canonical query, canonical headers, signed
// headers and hashed payload, joined with '\n'.
// Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
export interface CanonicalRequestParts {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: string;
  payloadHash: string;
}

export const canonicalRequest = (p: CanonicalRequestParts): string =>
  p.method + '\n' + p.uri + '\n' + p.query + '\n' + p.headers + '\n' + p.signedHeaders + '\n' + p.payloadHash;
