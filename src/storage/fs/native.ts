// The durable-file addon (native/durable_file.c, built by `npm ci` with node-gyp, like
// better-sqlite3): a small object's whole write — create, write, fsync, fstat, close, rename — as one
// thread-pool job instead of three round trips and three inline syscalls on the event loop
// (docs/adr/0006). Optional: without it (not built, or turned off with COFFER_NATIVE_FS=off, which
// main passes to the store) the store writes small bodies with SmallTemp, to the same result.
// It also copies large bodies into the hash workers' shared ring (copyInto), where V8's own copy is
// about three times slower; without it, Buffer#copy does.
import type { SharedCopy } from '../../kernel/digest-offload.js';
import { loadAddon } from '../../kernel/native-addon.js';

export interface DurableFileAddon {
  /**
   * Creates `temp` (O_EXCL, 0644), writes `chunks`, fsyncs, reads the mtime and closes; then renames
   * it to `target` unless that is null. Resolves the mtime in ms. Rejects with a node-style fs error
   * (`code`, `errno`, `syscall`, `path`): before the rename the temp file has been removed; after a
   * failed rename (`syscall` 'rename') it is left complete and synced at `temp`.
   */
  writeFile(temp: string, chunks: readonly Buffer[], target: string | null): Promise<number>;
  /**
   * memcpy of source[sourceStart, sourceEnd) into target at targetStart, clipped to target's end;
   * returns the bytes copied (Buffer#copy's contract). For the hash workers' shared ring, into which
   * V8 itself copies about three times slower (kernel/digest-offload's SharedCopy).
   */
  copyInto: SharedCopy;
}

/** The addon takes at most this many chunks (one writev's iovec array). */
export const ADDON_MAX_CHUNKS = 64;

let loaded: DurableFileAddon | null | undefined;

/** The addon, or undefined when it is not built; the reason is then in `addonMissing`. */
export function durableFileAddon(): DurableFileAddon | undefined {
  if (loaded === undefined) {
    const load = loadAddon<DurableFileAddon>('durable_file');
    loaded = load.addon ?? null;
    addonMissing = load.missing;
  }
  return loaded ?? undefined;
}

export let addonMissing: string | undefined;
