// Engine-independent listing: S3 key order (UTF-8 bytes = code points), prefix successors, and the
// "seek past common prefixes" walk that makes a delimiter listing O(log n) per returned entry.
// Each adapter supplies an ordered range scan; SQLite and PostgreSQL share this walk.

/**
 * Compares two strings in UTF-8 byte order (= Unicode code point order), which is S3's key order.
 * JS `<` compares UTF-16 code units, which differs only when a surrogate (astral code point) meets
 * a unit in U+E000..U+FFFF: we remap so that surrogates sort above them.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater (in UTF-8 byte order) than every string that starts with `s`:
 * `s` with its last code point incremented (dropping trailing U+10FFFF, skipping the surrogate
 * range, which UTF-8 cannot encode). Undefined when no such string exists ('' or all U+10FFFF).
 */
export function prefixSuccessor(s: string): string | undefined {
  let end = s.length;
  while (end > 0) {
    const lo = s.charCodeAt(end - 1);
    let start = end - 1;
    let cp = lo;
    if (lo >= 0xdc00 && lo <= 0xdfff && end >= 2) {
      const hi = s.charCodeAt(end - 2);
      if (hi >= 0xd800 && hi <= 0xdbff) {
        start = end - 2;
        cp = (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
      }
    }
    if (cp < 0x10ffff) {
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return s.slice(0, start) + String.fromCodePoint(next);
    }
    end = start;
  }
  return undefined;
}

/** The common prefix `key` rolls up into (prefix … first delimiter after it, inclusive), if any. */
export function commonPrefixOf(
  key: string,
  prefix: string,
  delimiter: string | undefined,
): string | undefined {
  if (!delimiter || !key.startsWith(prefix)) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

/** Where a scan starts: at `from` (inclusive or not); `undefined` means nothing can follow. */
export interface ScanStart {
  from: string;
  inclusive: boolean;
}

/**
 * The first position of a listing. `after` is exclusive and may be a key or a common prefix
 * returned by an earlier page: a common prefix (a string that is its own common prefix under
 * this prefix and delimiter) is skipped past entirely, since all its keys were rolled up already.
 */
export function startAfter(
  prefix: string,
  delimiter: string | undefined,
  after?: string,
): ScanStart | undefined {
  if (after === undefined || compareKeys(after, prefix) < 0) return { from: prefix, inclusive: true };
  if (commonPrefixOf(after, prefix, delimiter) === after) {
    const next = prefixSuccessor(after);
    return next === undefined ? undefined : { from: next, inclusive: true };
  }
  return { from: after, inclusive: false };
}

/** An ordered range scan: rows with from <(=) key < upper (no upper bound when undefined), in key order. */
export type RangeScan<R> = (from: string, inclusive: boolean, upper: string | undefined) => Iterable<R>;

export interface SeekListResult<R> {
  rows: R[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last entry of the page: a row or a common prefix. */
  last?: { row: R } | { prefix: string };
}

/**
 * Walks rows in key order from `start`, rolling keys with a delimiter after the prefix into common
 * prefixes; after emitting a common prefix it starts a new scan at the prefix's successor instead
 * of reading its children. Stops after `max` entries and looks one entry ahead so that
 * `isTruncated` is exact. `head` rows (already positioned, e.g. the rest of one key's uploads)
 * are consumed before the first scan.
 */
export function seekList<R extends { key: string }>(options: {
  prefix: string;
  delimiter?: string | undefined;
  max: number;
  start: ScanStart | undefined;
  scan: RangeScan<R>;
  head?: Iterable<R>;
}): SeekListResult<R> {
  const { prefix, max, scan } = options;
  const delimiter = options.delimiter === '' ? undefined : options.delimiter;
  const out: SeekListResult<R> = { rows: [], commonPrefixes: [], isTruncated: false };
  if (max <= 0 || options.start === undefined) return out;
  const upper = prefix === '' ? undefined : prefixSuccessor(prefix);
  let from = options.start.from;
  let inclusive = options.start.inclusive;
  let count = 0;
  let source: Iterable<R> | undefined = options.head;
  for (;;) {
    const fromHead = source !== undefined;
    const rows = source ?? scan(from, inclusive, upper);
    source = undefined;
    let seekTo: string | undefined;
    for (const row of rows) {
      if (count === max) {
        out.isTruncated = true; // the look-ahead entry exists
        return out;
      }
      const cp = commonPrefixOf(row.key, prefix, delimiter);
      if (cp !== undefined) {
        out.commonPrefixes.push(cp);
        out.last = { prefix: cp };
        count++;
        seekTo = prefixSuccessor(cp);
        // Nothing can follow a common prefix whose successor leaves the range.
        if (seekTo === undefined || (upper !== undefined && compareKeys(seekTo, upper) >= 0)) return out;
        break; // leaving the loop resets the scan; the next one starts past every key of `cp`
      }
      out.rows.push(row);
      out.last = { row };
      count++;
    }
    if (seekTo !== undefined) {
      from = seekTo;
      inclusive = true;
    } else if (!fromHead) {
      return out;
    }
    // else: the head ran out, continue with the scan from the original start.
  }
}
