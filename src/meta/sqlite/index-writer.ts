// The index's hot writes (object rows, part rows) on a thread of their own, with its own connection
// to the same database file. Every small PUT ends in one of these writes; on the event loop each
// cost ~60 µs of a ~270 µs PUT under load (the upsert, its WAL writes, two `synchronous` toggles),
// and one transaction per row. Here the loop only queues the row; the writer applies everything
// queued meanwhile in one transaction, fsyncs the WAL once, and answers. See docs/adr/0005.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { helperThreadsStarted } from '../../kernel/cpu-affinity.js';

/** A statement parameter as better-sqlite3 binds it. */
export type SqlValue = string | number | bigint | null;

interface WriteRequest {
  id: number;
  statement: string;
  params: SqlValue[];
}

/** One write's outcome: rows changed, or the error that refused it. */
type WriteResult =
  { id: number; changes: number } | { id: number; error: { message: string; code: string | undefined } };

type FromWriter =
  { type: 'ready' } | { type: 'failed'; message: string } | { type: 'done'; results: WriteResult[] };

/** Most statements one transaction applies: bounds how long the writer holds the write lock. */
const MAX_BATCH = 512;

// CommonJS, evaluated as the worker's source (as the hash workers are): no build step or loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.driver);
const { path, statements, busyTimeoutMs, maxBatch } = workerData;
let db, stmts, apply, walFd;
try {
  db = new Database(path, { timeout: busyTimeoutMs });
  // The commit only writes the WAL; the fsync below makes it durable once the write lock is released,
  // so the event loop's own writes (synchronous=FULL) never wait for this thread's fsync.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  stmts = new Map(Object.entries(statements).map(([name, sql]) => [name, db.prepare(sql)]));
  apply = db.transaction((batch, results) => {
    for (const w of batch) {
      try {
        results.push({ id: w.id, changes: stmts.get(w.statement).run(...w.params).changes });
      } catch (e) {
        // A statement error (a constraint) fails that write alone; one that ended the transaction
        // (I/O, disk full) fails the batch: the rows before it were rolled back too.
        if (!db.inTransaction) throw e;
        results.push({ id: w.id, error: { message: String(e && e.message), code: e && e.code } });
      }
    }
  });
} catch (e) {
  parentPort.postMessage({ type: 'failed', message: String(e && e.message) });
  throw e;
}
let queue = [];
let scheduled = false;
function flush() {
  scheduled = false;
  let answers = [];
  while (queue.length > 0) {
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    let results = [];
    try {
      apply.immediate(batch, results);
      // The -wal file lives as long as a connection is open, and this one is.
      walFd ??= fs.openSync(path + '-wal', 'r');
      fs.fsyncSync(walFd);
    } catch (e) {
      const error = { message: String(e && e.message), code: e && e.code };
      results = batch.map((w) => ({ id: w.id, error }));
    }
    answers = answers.concat(results);
  }
  parentPort.postMessage({ type: 'done', results: answers });
}
parentPort.on('message', (m) => {
  if (m === 'close') {
    flush();
    if (walFd !== undefined) fs.closeSync(walFd);
    db.close();
    parentPort.close();
    return;
  }
  for (const w of m) queue.push(w);
  // Requests that arrive while a batch commits wait here and go in the next transaction together.
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
parentPort.postMessage({ type: 'ready' });
`;

export interface IndexWriterOptions {
  /** The database file: already migrated, in WAL mode, and open on the event loop's connection. */
  path: string;
  /** The statements this writer may run, by name. */
  statements: Readonly<Record<string, string>>;
  busyTimeoutMs: number;
}

export class IndexWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (changes: number) => void; reject: (e: Error) => void }
  >();
  private outbox: WriteRequest[] = [];
  private posting = false;
  /** A batch was posted and its answer has not arrived yet. */
  private awaiting = false;
  private seq = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  /** Resolves once the writer's connection is open and its statements prepared. */
  readonly ready: Promise<void>;
  /** Batches answered and writes in them, for tests that prove the batching without timing it. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(options: IndexWriterOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      name: 'coffer-index-writer',
      workerData: { ...options, driver, maxBatch: MAX_BATCH },
    });
    // The writer keeps the process alive while it has work (starting, a batch, closing): it starts
    // referenced, and idle() unrefs it, since an idle one must not keep a process from exiting.

    // A thread started after threads were placed (--cpu-affinity) inherited the event loop's CPU.
    this.worker.once('online', helperThreadsStarted);
    let started = false;
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWriter) => {
        if (m.type === 'ready') {
          started = true;
          this.idle();
          resolve();
        } else if (m.type === 'failed') reject(new Error(`the index writer could not start: ${m.message}`));
        else {
          this.awaiting = false;
          this.stats.batches++;
          this.stats.writes += m.results.length;
          this.settle(m.results);
          this.idle();
          // What was requested while that batch committed goes as the next one.
          this.post();
        }
      });
      // A thread that throws while starting posts 'failed' first, but its 'error' event comes on
      // another port and may arrive first, sometimes without a message (the error crossed threads
      // as a clone): let the 'failed' message, which names the cause, settle it if it is on its way.
      this.worker.on('error', (e) => {
        if (started) return void reject(this.fail(new Error('the index writer failed', { cause: e })));
        const why = typeof e?.message === 'string' ? e.message : String(e);
        setImmediate(() =>
          reject(this.fail(new Error(`the index writer could not start: ${why}`, { cause: e }))),
        );
      });
      this.worker.on('exit', () => reject(this.fail(new Error('the index writer has stopped'))));
    });
    // Start-up failures surface through `ready` (awaited by the server) and through every write.
    this.ready.catch(() => undefined);
  }

  /** Runs a named statement on the writer; resolves the rows changed once the change is durable. */
  run(statement: string, params: SqlValue[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the index is closing'));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outbox.push({ id, statement, params });
      // One batch in flight at a time, posted at the end of a turn: each message may wake the writer
      // thread, and a wake-up costs the event loop more than the write itself (it takes the CPU).
      // Writes requested while a batch commits wait for its answer, as they would wait for the
      // writer anyway, and go together.
      if (!this.posting && !this.awaiting) {
        this.posting = true;
        setImmediate(() => this.post());
      }
    });
  }

  /** Applies every write already requested, then closes the writer's connection and ends its thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // The writer answers batches in order, and settles writes by id: a second batch in flight is
      // harmless, and the close must not wait for the first one's answer to send the rest.
      this.post(true);
      this.worker.ref();
      if (this.failure) return resolve();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
    return this.closing;
  }

  /** Posts the outbox as one batch; `force`: even if one is in flight (closing: the last one). */
  private post(force = false): void {
    this.posting = false;
    if (this.outbox.length === 0 || this.failure || (this.awaiting && !force)) return;
    const batch = this.outbox;
    this.outbox = [];
    this.awaiting = true;
    this.worker.ref();
    this.worker.postMessage(batch);
  }

  private idle(): void {
    if (this.pending.size === 0 && this.closing === undefined) this.worker.unref();
  }

  private settle(results: WriteResult[]): void {
    for (const r of results) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue;
      this.pending.delete(r.id);
      if ('changes' in r) p.resolve(r.changes);
      else p.reject(Object.assign(new Error(r.error.message), { code: r.error.code }));
    }
  }

  /** Fails every pending and later write; returns the first failure. */
  private fail(e: Error): Error {
    const failure = (this.failure ??= e);
    this.outbox = [];
    for (const p of this.pending.values()) p.reject(failure);
    this.pending.clear();
    return failure;
  }
}
