// Condition operators: parsing an operator name (set prefix, base operator, IfExists), validating
// and compiling its values, and testing a request context against the compiled form.
// AWS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
import { cidrContains, parseCidr, parseIp } from './ip.js';
import { compilePattern, type ContextReader, type Pattern } from './pattern.js';
import type { CompiledCondition } from './types.js';

type Family = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

interface BaseOperator {
  family: Family;
  negated: boolean;
  /** string: Equals / Like / EqualsIgnoreCase; numeric, date: comparison. */
  variant: 'eq' | 'like' | 'eqi' | 'lt' | 'le' | 'gt' | 'ge';
}

/** Every base operator AWS defines, keyed by lower-cased name (operator names are case-insensitive in practice). */
const baseOperators = new Map<string, BaseOperator>();
const add = (name: string, op: BaseOperator): void => void baseOperators.set(name.toLowerCase(), op);
add('StringEquals', { family: 'string', negated: false, variant: 'eq' });
add('StringNotEquals', { family: 'string', negated: true, variant: 'eq' });
add('StringEqualsIgnoreCase', { family: 'string', negated: false, variant: 'eqi' });
add('StringNotEqualsIgnoreCase', { family: 'string', negated: true, variant: 'eqi' });
add('StringLike', { family: 'string', negated: false, variant: 'like' });
add('StringNotLike', { family: 'string', negated: true, variant: 'like' });
for (const fam of ['Numeric', 'Date'] as const) {
  const family = fam === 'Numeric' ? 'numeric' : 'date';
  add(`${fam}Equals`, { family, negated: false, variant: 'eq' });
  add(`${fam}NotEquals`, { family, negated: true, variant: 'eq' });
  add(`${fam}LessThan`, { family, negated: false, variant: 'lt' });
  add(`${fam}LessThanEquals`, { family, negated: false, variant: 'le' });
  add(`${fam}GreaterThan`, { family, negated: false, variant: 'gt' });
  add(`${fam}GreaterThanEquals`, { family, negated: false, variant: 'ge' });
}
add('Bool', { family: 'bool', negated: false, variant: 'eq' });
add('BinaryEquals', { family: 'binary', negated: false, variant: 'eq' });
add('IpAddress', { family: 'ip', negated: false, variant: 'eq' });
add('NotIpAddress', { family: 'ip', negated: true, variant: 'eq' });
add('ArnEquals', { family: 'arn', negated: false, variant: 'eq' });
add('ArnLike', { family: 'arn', negated: false, variant: 'like' });
add('ArnNotEquals', { family: 'arn', negated: true, variant: 'eq' });
add('ArnNotLike', { family: 'arn', negated: true, variant: 'like' });
add('Null', { family: 'null', negated: false, variant: 'eq' });

export interface ParsedOperator {
  set: 'none' | 'any' | 'all';
  base: BaseOperator;
  ifExists: boolean;
}

/** Parses `[ForAnyValue:|ForAllValues:]Base[IfExists]`; undefined when unknown. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: ParsedOperator['set'] = 'none';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'foranyvalue') set = 'any';
    else if (prefix === 'forallvalues') set = 'all';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let lower = rest.toLowerCase();
  let ifExists = false;
  if (lower.endsWith('ifexists')) {
    ifExists = true;
    lower = lower.slice(0, -'ifexists'.length);
  }
  const base = baseOperators.get(lower);
  if (!base) return undefined;
  // Null takes no IfExists (the key's presence is what it tests) and no set prefix.
  if (base.family === 'null' && (ifExists || set !== 'none')) return undefined;
  return { set, base, ifExists };
}

/** Strict number syntax (JSON-like decimal); anything else is "not a number" and fails the test. */
const numberRe = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
export function parseNumber(s: string): number | undefined {
  return numberRe.test(s) ? Number(s) : undefined;
}

/**
 * Dates: epoch seconds (an integer, as aws:EpochTime gives) or an ISO 8601 / W3C date-time
 * (`2024-01-01`, `2024-01-01T00:00:00Z`). Returns milliseconds since the epoch.
 */
export function parseDate(s: string): number | undefined {
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  if (!/^\d{4}(-\d{2}(-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$/.test(s)) {
    return undefined;
  }
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ARN split into its six colon-separated parts (`arn` + five), the last keeping its colons. */
export function splitArn(s: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const c = s.indexOf(':', start);
    if (c < 0) return undefined;
    parts.push(s.slice(start, c));
    start = c + 1;
  }
  parts.push(s.slice(start));
  return parts;
}

/** Like splitArn but colons inside `${…}` do not split (policy ARNs may hold variables). */
export function splitArnPattern(s: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let depth = false;
  for (let i = 0; i < s.length && parts.length < 5; i++) {
    const ch = s[i];
    if (ch === '$' && s[i + 1] === '{') depth = true;
    else if (ch === '}') depth = false;
    else if (ch === ':' && !depth) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length < 5) return undefined;
  parts.push(s.slice(start));
  return parts;
}

const cmp = (variant: BaseOperator['variant'], req: number, pol: number): boolean => {
  switch (variant) {
    case 'eq':
      return req === pol;
    case 'lt':
      return req < pol;
    case 'le':
      return req <= pol;
    case 'gt':
      return req > pol;
    case 'ge':
      return req >= pol;
    case 'like':
    case 'eqi':
      return false;
  }
};

/**
 * Builds the per-request-value test of a base operator. A negated operator is true when no
 * policy value matches; a request value of the wrong type (not a number, date, IP, boolean or
 * ARN) fails both the operator and its negation, as does a policy value whose variable cannot
 * be resolved.
 */
function compileValueTest(
  op: BaseOperator,
  operatorName: string,
  key: string,
  values: readonly string[],
  variables: boolean,
): (v: string, ctx: ContextReader) => boolean {
  const bad = (what: string, v: string): Error =>
    new Error(`Invalid value "${v}" for condition ${operatorName} on ${key}: expected ${what}.`);
  // Positive match of one request value against all policy values: true / false / undefined (unresolvable).
  let positive: (v: string, ctx: ContextReader) => boolean | undefined;
  switch (op.family) {
    case 'string': {
      const pats = values.map((p) =>
        compilePattern(p, { wildcards: op.variant === 'like', variables, ignoreCase: op.variant === 'eqi' }),
      );
      if (!pats.some((p) => p.hasVariables) && op.variant === 'eq') {
        // Escapes (`${$}`) are already resolved in a variable-free pattern's text.
        const set = new Set(pats.map((p) => p.resolve(noContext) as string));
        positive = (v) => set.has(v);
      } else positive = anyPattern(pats);
      break;
    }
    case 'binary': {
      const set = new Set(values);
      positive = (v) => set.has(v);
      break;
    }
    case 'bool': {
      const pats = values.map((p) => {
        if (!variables || !p.includes('${')) {
          const l = p.toLowerCase();
          if (l !== 'true' && l !== 'false') throw bad('true or false', p);
        }
        return compilePattern(p, { wildcards: false, variables, ignoreCase: true });
      });
      const inner = anyPattern(pats);
      positive = (v, ctx) => {
        const l = v.toLowerCase();
        if (l !== 'true' && l !== 'false') return false;
        return inner(l, ctx);
      };
      break;
    }
    case 'numeric':
    case 'date': {
      const parse = op.family === 'numeric' ? parseNumber : parseDate;
      const nums = values.map((p) => {
        const n = parse(p);
        if (n === undefined) throw bad(op.family === 'numeric' ? 'a number' : 'a date', p);
        return n;
      });
      positive = (v) => {
        const r = parse(v);
        if (r === undefined) return undefined;
        for (const n of nums) if (cmp(op.variant, r, n)) return true;
        return false;
      };
      break;
    }
    case 'ip': {
      const cidrs = values.map((p) => {
        const c = parseCidr(p);
        if (!c) throw bad('an IP address or CIDR block', p);
        return c;
      });
      positive = (v) => {
        const ip = parseIp(v);
        if (!ip) return undefined;
        for (const c of cidrs) if (cidrContains(c, ip)) return true;
        return false;
      };
      break;
    }
    case 'arn': {
      const arns = values.map((p) => {
        const parts = splitArnPattern(p);
        if (!parts) throw bad('an ARN', p);
        return parts.map((part) => compilePattern(part, { wildcards: true, variables, ignoreCase: false }));
      });
      positive = (v, ctx) => {
        const req = splitArn(v);
        if (!req) return undefined;
        let unresolved = false;
        for (const pats of arns) {
          let ok = true;
          for (let i = 0; i < 6 && ok; i++) {
            const r = (pats[i] as Pattern).test(req[i] as string, ctx);
            if (r === undefined) unresolved = true;
            ok = r === true;
          }
          if (ok) return true;
        }
        return unresolved ? undefined : false;
      };
      break;
    }
    case 'null':
      throw new Error('Null has no value test');
  }
  if (!op.negated) return (v, ctx) => positive(v, ctx) === true;
  return (v, ctx) => positive(v, ctx) === false;
}

const noContext: ContextReader = { get: () => undefined };

/** Any-of over patterns: true if one matches; undefined if none matches and one was unresolvable. */
function anyPattern(pats: readonly Pattern[]): (v: string, ctx: ContextReader) => boolean | undefined {
  if (pats.length === 1) {
    const p = pats[0] as Pattern;
    return (v, ctx) => p.test(v, ctx);
  }
  return (v, ctx) => {
    let unresolved = false;
    for (const p of pats) {
      const r = p.test(v, ctx);
      if (r === true) return true;
      if (r === undefined) unresolved = true;
    }
    return unresolved ? undefined : false;
  };
}

/**
 * Compiles one `operator: { key: values }` pair. Throws a plain Error with a precise message
 * when a value does not fit the operator; the parser turns it into MalformedPolicyDocument.
 */
export function compileCondition(
  operatorName: string,
  op: ParsedOperator,
  key: string,
  values: readonly string[],
  options: { variables: boolean },
): CompiledCondition {
  const lowerKey = key.toLowerCase();
  if (op.base.family === 'null') {
    const wants = values.map((v) => {
      const l = v.toLowerCase();
      if (l !== 'true' && l !== 'false') {
        throw new Error(`Invalid value "${v}" for condition Null on ${key}: expected true or false.`);
      }
      return l === 'true';
    });
    const wantAbsent = wants.includes(true);
    const wantPresent = wants.includes(false);
    return {
      operator: operatorName,
      key: lowerKey,
      test: (ctx) => {
        // Null tests presence only: a key given with an empty set of values is present.
        return ctx.get(lowerKey) === undefined ? wantAbsent : wantPresent;
      },
    };
  }
  const valueTest = compileValueTest(op.base, operatorName, key, values, options.variables);
  const { set, ifExists } = op;
  const negated = op.base.negated;
  let test: (ctx: ContextReader) => boolean;
  if (set === 'none') {
    test = (ctx) => {
      const v = ctx.get(lowerKey);
      // Missing key: IfExists and negated operators are true, the rest false.
      if (v === undefined) return ifExists || negated;
      // A single-valued operator never matches a multi-valued key: AWS requires a set operator.
      if (typeof v !== 'string') return false;
      return valueTest(v, ctx);
    };
  } else if (set === 'any') {
    test = (ctx) => {
      const v = ctx.get(lowerKey);
      if (v === undefined || (typeof v !== 'string' && v.length === 0)) return ifExists;
      if (typeof v === 'string') return valueTest(v, ctx);
      for (const x of v) if (valueTest(x, ctx)) return true;
      return false;
    };
  } else {
    test = (ctx) => {
      const v = ctx.get(lowerKey);
      // ForAllValues over an absent or empty set is vacuously true.
      if (v === undefined) return true;
      if (typeof v === 'string') return valueTest(v, ctx);
      for (const x of v) if (!valueTest(x, ctx)) return false;
      return true;
    };
  }
  return { operator: operatorName, key: lowerKey, test };
}
