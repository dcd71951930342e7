// Strings to sign: the request's, each aws-chunked chunk's (chained from the previous signature),
// and the trailer's. Sources: create-signed-request.html, sigv4-streaming.html,
// sigv4-streaming-trailers.html (docs.aws.amazon.com).
import { ALGORITHM, CHUNK_ALGORITHM, EMPTY_SHA256, TRAILER_ALGORITHM } from './constants.js';

/** `YYYYMMDD/region/service/aws4_request`. */
export const scopeString = (date: string, region: string, service: string): string =>
  date + '/' + region + '/' + service + '/aws4_request';

export const stringToSign = (amzDate: string, scope: string, canonicalRequestHash: string): string =>
  ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + canonicalRequestHash;

export const chunkStringToSign = (
  amzDate: string,
  scope: string,
  previousSignature: string,
  chunkHash: string,
): string =>
  CHUNK_ALGORITHM +
  '\n' +
  amzDate +
  '\n' +
  scope +
  '\n' +
  previousSignature +
  '\n' +
  EMPTY_SHA256 +
  '\n' +
  chunkHash;

export const trailerStringToSign = (
  amzDate: string,
  scope: string,
  previousSignature: string,
  trailerHash: string,
): string =>
  TRAILER_ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + previousSignature + '\n' + trailerHash;
