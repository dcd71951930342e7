// Streaming decoder for `Content-Encoding: aws-chunked` bodies: `hex-size[;chunk-signature=sig]\r\n
// data\r\n` … a 0-size final chunk, then optional trailer lines and an empty line. Signed forms
// chain every chunk's signature from the seed (the request signature) and a bad chunk fails the
// stream at once; trailers are exposed after the end. Framing may split anywhere across packets;
// only a header/trailer line is ever buffered (bounded), data slices pass through untouched.
// Sources: sigv4-streaming.html, sigv4-streaming-trailers.html (docs.aws.amazon.com/AmazonS3/latest/API).
import { Transform, type TransformCallback } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { CofferError } from '../../errors/error.js';
import { EMPTY_SHA256, TRAILER_SIGNATURE } from './constants.js';
import { hmacHex, sha256Hex } from './crypto.js';
import { constantTimeEqual } from './compare.js';
import { chunkStringToSign, trailerStringToSign } from './string-to-sign.js';

export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own signature: the first chunk chains from it. */
  seedSignature: string;
}

export interface AwsChunkedOptions {
  /** Present for the signed forms: every chunk signature is checked. */
  signing?: ChunkSigningContext;
  /** Trailers may follow the final chunk (the …-TRAILER forms). */
  trailer: boolean;
  /** Names from the x-amz-trailer header (lower-case); arriving trailers must be among them. */
  declaredTrailers: readonly string[];
  /** x-amz-decoded-content-length, when given: the decoded size must equal it. */
  decodedLength?: number;
}

/** Longest chunk-header or trailer line accepted (a signed header is ~90 bytes). */
export const MAX_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

// Decoder states (a plain object rather than an enum: the codebase uses unions, not enums).
const State = { Header: 0, Data: 1, DataEnd: 2, Trailer: 3, Done: 4 } as const;
type State = (typeof State)[keyof typeof State];

const HEX_SIZE = /^[0-9a-fA-F]{1,16}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const CHUNK_SIG = 'chunk-signature=';

const framing = (msg: string) => new CofferError('InvalidRequest', 'Malformed aws-chunked body: ' + msg);
const badTrailer = (msg: string) =>
  new CofferError('MalformedTrailerError', undefined, { extra: { Detail: msg } });

export class AwsChunkedDecoder extends Transform {
  private state: State = State.Header;
  /** Pieces of the current line when it spans packets. */
  private lineParts: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  /** Bytes of the "\r\n" after a chunk's data still expected (2, 1, 0). */
  private crlfLeft = 0;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  private previousSignature: string;
  private trailerBytes = 0;
  private trailerSignature: string | undefined;
  private readonly trailerList: Array<[string, string]> = [];
  readonly trailers: Record<string, string> = {};

  constructor(private readonly opts: AwsChunkedOptions) {
    super();
    this.previousSignature = opts.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      // Tolerate a body that ends right after the final chunk's header without the closing CRLF.
      const endedAfterFinal =
        this.state === State.Trailer && this.lineLength === 0 && this.trailerList.length === 0;
      if (this.state !== State.Done && !(endedAfterFinal && !this.opts.trailer)) {
        throw new CofferError('IncompleteBody', 'The request body terminated unexpectedly (aws-chunked).');
      }
      if (this.state !== State.Done) this.finishTrailers();
      if (this.opts.decodedLength !== undefined && this.decoded !== this.opts.decodedLength) {
        throw new CofferError(
          'IncompleteBody',
          `The decoded body is ${this.decoded} bytes; x-amz-decoded-content-length says ${this.opts.decodedLength}.`,
        );
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  /** Decoded bytes so far. */
  get decodedBytes(): number {
    return this.decoded;
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          const line = this.readLine(buf, pos);
          if (line === undefined) return;
          pos = line.next;
          this.onChunkHeader(line.text);
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, len - pos);
          const slice = buf.subarray(pos, pos + take);
          this.chunkHash?.update(slice);
          this.push(slice);
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = State.DataEnd;
            this.crlfLeft = 2;
          }
          break;
        }
        case State.DataEnd: {
          const expected = this.crlfLeft === 2 ? 0x0d : 0x0a;
          if (buf[pos] !== expected) throw framing('chunk data is not followed by CRLF.');
          pos++;
          if (--this.crlfLeft === 0) {
            this.verifyChunk(this.chunkHash ? this.chunkHash.digest('hex') : '');
            this.state = State.Header;
          }
          break;
        }
        case State.Trailer: {
          const line = this.readLine(buf, pos);
          if (line === undefined) return;
          pos = line.next;
          this.onTrailerLine(line.text);
          break;
        }
        case State.Done:
          throw framing('data after the final chunk.');
      }
    }
  }

  /** Reads up to '\n' (a preceding '\r' is dropped); undefined when the line continues in a later packet. */
  private readLine(buf: Buffer, pos: number): { text: string; next: number } | undefined {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl === -1 ? buf.length : nl;
    if (this.lineLength + (end - pos) > MAX_LINE) throw framing('header or trailer line too long.');
    if (nl === -1) {
      this.lineParts.push(buf.subarray(pos));
      this.lineLength += buf.length - pos;
      return undefined;
    }
    let bytes = buf.subarray(pos, nl);
    if (this.lineParts.length > 0) {
      this.lineParts.push(bytes);
      bytes = Buffer.concat(this.lineParts);
      this.lineParts = [];
    }
    this.lineLength = 0;
    if (this.state === State.Trailer) {
      this.trailerBytes += bytes.length + 1;
      if (this.trailerBytes > MAX_TRAILER_BYTES) throw badTrailer('trailer section too large');
    }
    const text =
      bytes.length > 0 && bytes[bytes.length - 1] === 0x0d
        ? bytes.toString('latin1', 0, bytes.length - 1)
        : bytes.toString('latin1');
    return { text, next: nl + 1 };
  }

  private onChunkHeader(line: string): void {
    const semi = line.indexOf(';');
    const hex = (semi === -1 ? line : line.slice(0, semi)).trim();
    if (!HEX_SIZE.test(hex)) throw framing(`invalid chunk size '${hex.slice(0, 32)}'.`);
    const size = parseInt(hex, 16);
    if (!Number.isSafeInteger(size)) throw framing('chunk size too large.');
    if (this.opts.decodedLength !== undefined && this.decoded + size > this.opts.decodedLength) {
      throw new CofferError(
        'IncompleteBody',
        'The aws-chunked body is longer than x-amz-decoded-content-length.',
      );
    }
    if (this.opts.signing) {
      const at = semi === -1 ? -1 : line.indexOf(CHUNK_SIG, semi);
      const sig = at === -1 ? '' : line.slice(at + CHUNK_SIG.length).trim();
      if (!HEX64.test(sig)) {
        throw new CofferError(
          'SignatureDoesNotMatch',
          'A chunk of the aws-chunked body has no valid chunk-signature.',
        );
      }
      this.chunkSignature = sig;
      this.chunkHash = size > 0 ? createHash('sha256') : undefined;
    }
    this.decoded += size;
    if (size === 0) {
      if (this.opts.signing) this.verifyChunk(EMPTY_SHA256);
      this.state = State.Trailer;
      return;
    }
    this.remaining = size;
    this.state = State.Data;
  }

  private verifyChunk(hash: string): void {
    const s = this.opts.signing;
    if (!s) return;
    const expected = hmacHex(
      s.signingKey,
      chunkStringToSign(s.amzDate, s.scope, this.previousSignature, hash || EMPTY_SHA256),
    );
    if (!constantTimeEqual(expected, this.chunkSignature)) {
      throw new CofferError(
        'SignatureDoesNotMatch',
        'The chunk signature we calculated does not match the one provided.',
        {
          extra: { SignatureProvided: this.chunkSignature },
        },
      );
    }
    this.previousSignature = this.chunkSignature;
    this.chunkHash = undefined;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      this.finishTrailers();
      this.state = State.Done;
      return;
    }
    if (!this.opts.trailer)
      throw framing('trailing headers were sent but x-amz-content-sha256 declares none.');
    const colon = line.indexOf(':');
    if (colon <= 0) throw badTrailer('a trailer line is not name:value');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) {
      if (this.trailerSignature !== undefined) throw badTrailer('repeated x-amz-trailer-signature');
      this.trailerSignature = value;
      return;
    }
    if (!this.opts.declaredTrailers.includes(name))
      throw badTrailer(`trailer '${name}' is not named in x-amz-trailer`);
    if (Object.hasOwn(this.trailers, name)) throw badTrailer(`trailer '${name}' repeated`);
    this.trailers[name] = value;
    this.trailerList.push([name, value]);
  }

  private finishTrailers(): void {
    for (const d of this.opts.declaredTrailers) {
      if (!Object.hasOwn(this.trailers, d))
        throw badTrailer(`trailer '${d}' named in x-amz-trailer did not arrive`);
    }
    const s = this.opts.signing;
    if (!s || !this.opts.trailer) return;
    if (this.trailerSignature === undefined) {
      throw new CofferError('SignatureDoesNotMatch', 'The trailer of the aws-chunked body is not signed.');
    }
    // Canonical trailer: `name:value\n` per trailer, sorted by name (as the AWS SDKs sign it).
    const canonical = [...this.trailerList]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([n, v]) => n + ':' + v + '\n')
      .join('');
    const expected = hmacHex(
      s.signingKey,
      trailerStringToSign(s.amzDate, s.scope, this.previousSignature, sha256Hex(canonical)),
    );
    if (!constantTimeEqual(expected, this.trailerSignature)) {
      throw new CofferError(
        'SignatureDoesNotMatch',
        'The trailer signature we calculated does not match the one provided.',
        {
          extra: { SignatureProvided: this.trailerSignature },
        },
      );
    }
  }
}
