// Group commit: many callers that each need "a flush that began after my write" share one flush.
// While a flush runs, callers queue for the next one; when it ends, a single new flush serves all of
// them. Used for fsyncs (the SQLite WAL, directories) that concurrent requests would otherwise
// issue one by one.

/** Returns `request()`: resolves after a run of `flush` that started after the call (rejects if it fails). */
export function groupCommit(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const p = flush().finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return () => {
    if (running === undefined) return start();
    // The running flush may have begun before the caller's write: wait for the next one.
    next ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}

/** One group commit per key (e.g. per directory), dropped when idle so the map stays small. */
export function keyedGroupCommit(flush: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const groups = new Map<string, { request: () => Promise<void>; users: number }>();
  return async (key) => {
    let g = groups.get(key);
    if (g === undefined) {
      g = { request: groupCommit(() => flush(key)), users: 0 };
      groups.set(key, g);
    }
    g.users++;
    try {
      await g.request();
    } finally {
      if (--g.users === 0) groups.delete(key);
    }
  };
}
