// What x-amz-content-sha256 says about the body: a hex SHA-256 to check, UNSIGNED-PAYLOAD, or one
// of the aws-chunked streaming forms. The value itself is what goes into the canonical request.
// Source: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
import { CofferError } from '../../errors/error.js';
import {
  EMPTY_SHA256,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
} from './constants.js';

export type PayloadKind =
  | 'empty'
  | 'sha256'
  | 'unsigned'
  | 'streaming-signed'
  | 'streaming-signed-trailer'
  | 'streaming-unsigned-trailer';

export interface PayloadSpec {
  kind: PayloadKind;
  /** The hashed-payload line of the canonical request. */
  hash: string;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

export const isStreaming = (k: PayloadKind): boolean =>
  k === 'streaming-signed' || k === 'streaming-signed-trailer' || k === 'streaming-unsigned-trailer';

export function classifyPayload(value: string): PayloadSpec {
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned', hash: value };
    case STREAMING_SIGNED:
      return { kind: 'streaming-signed', hash: value };
    case STREAMING_SIGNED_TRAILER:
      return { kind: 'streaming-signed-trailer', hash: value };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer', hash: value };
    case EMPTY_SHA256:
      return { kind: 'empty', hash: value };
    default:
      if (HEX64.test(value)) return { kind: 'sha256', hash: value };
      throw new CofferError(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        { extra: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value } },
      );
  }
}
