// Errors are data: a stable AWS error code (from the catalogue), a message for the client, and
// optional extra fields that the wire format adds as XML elements (e.g. <Region>, <Key>).
import { errorCatalogue, type ErrorCode } from './codes.js';

export class CofferError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra elements for the error body, e.g. { Region: 'us-east-1' } for AuthorizationHeaderMalformed. */
  readonly extra: Readonly<Record<string, string>>;
  /** Response headers that belong to this error (e.g. Allow on MethodNotAllowed). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { extra?: Record<string, string>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(
      message ?? errorCatalogue[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'CofferError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export const isCofferError = (e: unknown): e is CofferError => e instanceof CofferError;
