// Request timestamps: the ISO 8601 basic form SigV4 signs (`20130524T000000Z`), and the HTTP
// `Date` header (RFC 7231 IMF-fixdate) that SigV4 accepts when x-amz-date is absent.
const BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

// The last value parsed: requests signed in the same second carry the same timestamp.
let lastValue = '';
let lastTime: number | undefined;

/** Epoch ms of `YYYYMMDDTHHMMSSZ`, or undefined when malformed or not a real date. */
export function parseAmzDate(value: string): number | undefined {
  if (value !== lastValue) {
    lastTime = parse(value);
    lastValue = value;
  }
  return lastTime;
}

function parse(value: string): number | undefined {
  const m = BASIC.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  // Reject 20130230 and the like, which Date.UTC would silently roll over.
  if (back.getUTCDate() !== d || back.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59)
    return undefined;
  return t;
}

/** Epoch ms → `YYYYMMDDTHHMMSSZ`. */
export const formatAmzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** Epoch ms → `YYYY-MM-DDTHH:MM:SSZ` (how AWS prints ServerTime in errors). */
export const formatIsoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Epoch ms of an HTTP date (also the obsolete RFC 850 / asctime forms Date.parse knows). */
export function parseHttpDate(value: string): number | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
