// The JSONL file sink: events are buffered in memory and appended to the file, one JSON object per
// line, at least every flushMs and on close. One write is in flight at a time so lines never interleave.
import { closeSync, mkdirSync, openSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { serializeEvent, type AuditEvent } from './event.js';
import type { AuditSink, SinkErrorReporter } from './sink.js';

export interface FileSinkOptions {
  path: string;
  /** Longest time an event waits in memory (default 1000 ms). */
  flushMs?: number;
  /** Events held while the disk is slow; beyond it new events are dropped and counted (default 100 000). */
  maxBuffer?: number;
  onError?: SinkErrorReporter;
}

export function createFileSink(options: FileSinkOptions): AuditSink {
  const flushMs = options.flushMs ?? 1000;
  const maxBuffer = options.maxBuffer ?? 100_000;
  // Opened synchronously so a bad path fails at startup, not silently at the first flush.
  mkdirSync(dirname(options.path), { recursive: true });
  const fd = openSync(options.path, 'a', 0o600);
  let buffer: AuditEvent[] = [];
  let writing: Promise<void> | undefined;
  let dropped = 0;
  let written = 0;
  let closed = false;
  let failing = false;

  const writeAll = (data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const step = (offset: number): void => {
        write(fd, data, offset, data.length - offset, null, (err, n) => {
          if (err) return reject(err);
          if (offset + n < data.length) step(offset + n);
          else resolve();
        });
      };
      step(0);
    });

  const flush = async (): Promise<void> => {
    // Chain behind any write in flight: appends must stay in order.
    while (writing) await writing;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    let text = '';
    for (const e of batch) text += serializeEvent(e) + '\n';
    writing = writeAll(Buffer.from(text, 'utf8')).then(
      () => {
        written += batch.length;
        failing = false;
      },
      (err: unknown) => {
        dropped += batch.length;
        // Report a failure once, not once per flush, until a write succeeds again.
        if (!failing) options.onError?.('audit file write failed', err);
        failing = true;
      },
    );
    try {
      await writing;
    } finally {
      writing = undefined;
    }
  };

  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();

  return {
    name: 'file',
    record(event) {
      if (closed || buffer.length >= maxBuffer) {
        dropped++;
        return;
      }
      buffer.push(event);
    },
    stats: () => ({ queued: buffer.length, dropped, delivered: written }),
    flush,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
      closeSync(fd);
    },
  };
}
