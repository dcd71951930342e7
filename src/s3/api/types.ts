// What handlers return: a reply value the one responder writes (status, headers in one writeHead,
// then a string/Buffer body or a piped stream). Handlers never touch the ServerResponse.
import type { Readable } from 'node:stream';
import type { BlobReader } from '../../storage/ports.js';

export type ReplyHeaders = Record<string, string | number>;

export interface S3Reply {
  status: number;
  headers: ReplyHeaders;
  /** Small bodies (XML). */
  body?: string | Buffer;
  /** Object bytes, piped with backpressure. */
  stream?: Readable;
  /** Object bytes [start, end] (the whole blob without a range), written by the reader itself. */
  blob?: { reader: BlobReader; range: { start: number; end: number } | undefined };
}

/** Audit information about one authorisation decision. */
export interface DecisionEvent {
  requestId: string;
  operation: string;
  action: string;
  resource: string;
  principalArn: string;
  effect: 'allow' | 'explicitDeny' | 'implicitDeny';
  reason: string;
  statement?: { policy: string; version?: string; sid?: string; index: number };
}

export interface LogEvent {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  requestId?: string;
  operation?: string;
  err?: unknown;
}

export const xmlReply = (body: string, status = 200, headers: ReplyHeaders = {}): S3Reply => ({
  status,
  headers: { 'content-type': 'application/xml', ...headers },
  body,
});

export const emptyReply = (status: number, headers: ReplyHeaders = {}): S3Reply => ({ status, headers });
