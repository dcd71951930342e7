// Compiled string patterns of the policy language: `*` / `?` wildcards and policy variables
// (`${aws:username}`, `${key, 'default'}`, the escapes `${*}` `${?}` `${$}`). Compiled once when
// a policy is loaded; testing a value allocates nothing unless the pattern holds a variable.
// AWS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

/** Read-only view of the request context; keys are looked up lower-cased. */
export interface ContextReader {
  get(lowerKey: string): string | readonly string[] | undefined;
}

/** A wildcard matcher over an already-resolved string. */
export type Matcher = (value: string) => boolean;

const always: Matcher = () => true;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Compiles a glob (`*` any run, `?` one character) into the cheapest matcher that does the job:
 * equality, prefix, suffix, or a regular expression. With `ignoreCase` the caller must pass
 * lower-cased input (the pattern is lower-cased here), which keeps the fast paths allocation-free.
 */
export function compileGlob(pattern: string, options: { ignoreCase: boolean }): Matcher {
  const p = options.ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === '*') return always;
  const star = p.indexOf('*');
  const hasQ = p.includes('?');
  if (star < 0 && !hasQ) return (v) => v === p;
  if (!hasQ && star === p.length - 1) {
    const prefix = p.slice(0, -1);
    return (v) => v.startsWith(prefix);
  }
  if (!hasQ && star === 0 && p.indexOf('*', 1) < 0) {
    const suffix = p.slice(1);
    return (v) => v.endsWith(suffix);
  }
  const re = new RegExp('^' + globToRegexSource(p) + '$', 's');
  return (v) => re.test(v);
}

function globToRegexSource(p: string): string {
  let out = '';
  for (const ch of p) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += escapeRegex(ch);
  }
  return out;
}

type Token =
  { t: 'lit'; s: string } | { t: 'star' } | { t: 'q' } | { t: 'var'; key: string; def: string | undefined };

/** Result of parsing a string for variables: either no variables or a token list. */
export interface ParsedTemplate {
  hasVariables: boolean;
  tokens: readonly Token[];
  /** Lower-cased context keys the template refers to. */
  keys: readonly string[];
}

/**
 * Splits a policy string into literals, wildcards and variables. With `wildcards: false` (the
 * *Equals operators) `*` and `?` are ordinary characters. `${` without a closing `}` is literal,
 * as AWS treats it. Throws a plain Error with a precise message on a malformed variable.
 */
export function parseTemplate(
  value: string,
  options: { wildcards: boolean; variables: boolean },
): ParsedTemplate {
  const tokens: Token[] = [];
  const keys: string[] = [];
  let lit = '';
  let hasVariables = false;
  const flush = (): void => {
    if (lit !== '') tokens.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (options.wildcards && (ch === '*' || ch === '?')) {
      flush();
      tokens.push(ch === '*' ? { t: 'star' } : { t: 'q' });
      continue;
    }
    if (options.variables && ch === '$' && value[i + 1] === '{') {
      const end = value.indexOf('}', i + 2);
      if (end < 0) {
        lit += ch;
        continue;
      }
      const inner = value.slice(i + 2, end).trim();
      i = end;
      // Escapes for characters that otherwise have a meaning (AWS "Special characters").
      if (inner === '*' || inner === '?' || inner === '$') {
        lit += inner;
        continue;
      }
      const comma = inner.indexOf(',');
      let key = inner;
      let def: string | undefined;
      if (comma >= 0) {
        key = inner.slice(0, comma).trim();
        const rawDef = inner.slice(comma + 1).trim();
        if (rawDef.length < 2 || !rawDef.startsWith("'") || !rawDef.endsWith("'")) {
          throw new Error(
            `Invalid policy variable default in \${${inner}}: the default must be quoted with single quotes.`,
          );
        }
        def = rawDef.slice(1, -1);
      }
      if (!/^[A-Za-z0-9_.:/@+=-]+$/.test(key)) {
        throw new Error(`Invalid policy variable \${${inner}}.`);
      }
      flush();
      hasVariables = true;
      const lower = key.toLowerCase();
      keys.push(lower);
      tokens.push({ t: 'var', key: lower, def });
      continue;
    }
    lit += ch;
  }
  flush();
  return { hasVariables, tokens, keys };
}

/** Resolves one variable: a single string value, else its default, else undefined (no match). */
function resolveVar(tok: { key: string; def: string | undefined }, ctx: ContextReader): string | undefined {
  const v = ctx.get(tok.key);
  if (typeof v === 'string') return v;
  // A multi-valued key cannot be substituted (AWS: variables take single-valued keys only).
  if (v !== undefined) return undefined;
  return tok.def;
}

/**
 * A compiled policy string. `test` returns undefined when a variable cannot be resolved: per
 * AWS, the value then matches nothing (and a negated operator does not become true through it).
 */
export interface Pattern {
  readonly source: string;
  readonly hasVariables: boolean;
  test(value: string, ctx: ContextReader): boolean | undefined;
  /** The resolved literal (only for patterns without wildcards); undefined when unresolvable. */
  resolve(ctx: ContextReader): string | undefined;
}

export function compilePattern(
  source: string,
  options: { wildcards: boolean; variables: boolean; ignoreCase: boolean },
): Pattern {
  const parsed = parseTemplate(source, options);
  const ic = options.ignoreCase;
  if (!parsed.hasVariables) {
    // Re-assemble the literal text (escapes resolved) and compile it once.
    let text = '';
    let glob = '';
    let needsRegex = false;
    for (const tok of parsed.tokens) {
      if (tok.t === 'lit') {
        text += tok.s;
        if (tok.s.includes('*') || tok.s.includes('?')) needsRegex = true;
        glob += tok.s;
      } else if (tok.t === 'star') glob += '*';
      else if (tok.t === 'q') glob += '?';
    }
    if (!options.wildcards) {
      const lit = ic ? text.toLowerCase() : text;
      return {
        source,
        hasVariables: false,
        test: ic ? (v) => v.toLowerCase() === lit : (v) => v === lit,
        resolve: () => text,
      };
    }
    // A literal `*` from `${*}` next to real wildcards needs an exact regex; else the fast glob.
    let matcher: Matcher;
    if (needsRegex) {
      const re = new RegExp('^' + tokensToRegex(parsed.tokens, undefined) + '$', ic ? 'si' : 's');
      matcher = (v) => re.test(v);
    } else {
      const g = compileGlob(glob, { ignoreCase: ic });
      matcher = ic ? (v) => g(v.toLowerCase()) : g;
    }
    return { source, hasVariables: false, test: (v) => matcher(v), resolve: () => text };
  }
  const tokens = parsed.tokens;
  const resolve = (ctx: ContextReader): string | undefined => {
    let out = '';
    for (const tok of tokens) {
      if (tok.t === 'lit') out += tok.s;
      else if (tok.t === 'var') {
        const r = resolveVar(tok, ctx);
        if (r === undefined) return undefined;
        out += r;
      } else out += tok.t === 'star' ? '*' : '?';
    }
    return out;
  };
  if (!options.wildcards) {
    return {
      source,
      hasVariables: true,
      test: (v, ctx) => {
        const r = resolve(ctx);
        if (r === undefined) return undefined;
        return ic ? v.toLowerCase() === r.toLowerCase() : v === r;
      },
      resolve,
    };
  }
  return {
    source,
    hasVariables: true,
    test: (v, ctx) => {
      const src = tokensToRegex(tokens, ctx);
      if (src === undefined) return undefined;
      return new RegExp('^' + src + '$', ic ? 'si' : 's').test(v);
    },
    resolve,
  };
}

/** Regex source for a token list; substituted variable values are literal text, never wildcards. */
function tokensToRegex(tokens: readonly Token[], ctx: ContextReader | undefined): string | undefined {
  let out = '';
  for (const tok of tokens) {
    switch (tok.t) {
      case 'lit':
        out += escapeRegex(tok.s);
        break;
      case 'star':
        out += '.*';
        break;
      case 'q':
        out += '.';
        break;
      case 'var': {
        if (ctx === undefined) return undefined;
        const r = resolveVar(tok, ctx);
        if (r === undefined) return undefined;
        out += escapeRegex(r);
        break;
      }
    }
  }
  return out;
}
