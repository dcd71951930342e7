// Policy documents: JSON text → validated, compiled policy. Every rejection is a
// MalformedPolicyDocument with a precise message (AWS wording where AWS has one).
// AWS grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
import { CofferError } from '../errors/error.js';
import { checkedServices, knownActions, type CheckedService } from './actions.js';
import { compileCondition, parseOperator, splitArnPattern } from './conditions.js';
import { compileGlob, compilePattern, type Matcher } from './pattern.js';
import type {
  CompiledCondition,
  CompiledPolicy,
  CompiledPrincipals,
  CompiledResource,
  CompiledStatement,
  Effect,
  PolicyKind,
} from './types.js';

/** Document size limits (characters, whitespace excluded by AWS for IAM); enforced by callers. */
export const POLICY_SIZE_LIMITS = {
  /** Managed policy document. */
  managedPolicy: 6144,
  userInlineTotal: 2048,
  groupInlineTotal: 5120,
  roleInlineTotal: 10240,
  /** Role trust policy. */
  trustPolicy: 2048,
  /** Session policy passed to AssumeRole / GetFederationToken. */
  sessionPolicy: 2048,
  /** S3 bucket policy: 20 KB. */
  bucketPolicy: 20480,
} as const;

export interface ParseOptions {
  /** identity: Principal forbidden; resource: Principal or NotPrincipal required. */
  kind: PolicyKind;
  /** Resource/NotResource required (default true; false for role trust policies). */
  requireResource?: boolean;
}

const malformed = (message: string): CofferError => new CofferError('MalformedPolicyDocument', message);

const topLevelKeys = new Set(['Version', 'Id', 'Statement']);
const statementKeys = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses policy JSON text and compiles it. */
export function parsePolicy(text: string, options: ParseOptions): CompiledPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  return compilePolicy(doc, options);
}

/** Validates and compiles an already-parsed JSON document. */
export function compilePolicy(doc: unknown, options: ParseOptions): CompiledPolicy {
  if (!isObject(doc)) throw malformed('Syntax errors in policy.');
  for (const k of Object.keys(doc)) {
    if (!topLevelKeys.has(k)) throw malformed(`Syntax errors in policy. Unknown field ${k}.`);
  }
  // AWS: without Version the 2008-10-17 language applies (no policy variables).
  const rawVersion = doc.Version ?? '2008-10-17';
  if (rawVersion !== '2012-10-17' && rawVersion !== '2008-10-17') {
    throw malformed('The policy must contain a valid version string');
  }
  const version: CompiledPolicy['version'] = rawVersion;
  if (doc.Id !== undefined && typeof doc.Id !== 'string')
    throw malformed('Syntax errors in policy. Id must be a string.');
  if (doc.Statement === undefined) throw malformed('Missing required field Statement');
  const rawStatements = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : [doc.Statement];
  if (rawStatements.length === 0) throw malformed('Missing required field Statement');
  const ctx: Ctx = {
    kind: options.kind,
    requireResource: options.requireResource ?? true,
    variables: version === '2012-10-17',
  };
  const sids = new Set<string>();
  const statements = rawStatements.map((raw, index) => {
    const st = compileStatement(raw, index, ctx);
    if (st.sid !== undefined && st.sid !== '') {
      if (sids.has(st.sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
      sids.add(st.sid);
    }
    return st;
  });
  return {
    kind: options.kind,
    version,
    ...(typeof doc.Id === 'string' ? { id: doc.Id } : {}),
    statements,
    document: doc,
  };
}

interface Ctx {
  kind: PolicyKind;
  requireResource: boolean;
  variables: boolean;
}

/** A string or a non-empty array of strings (AWS accepts both shapes for these elements). */
function stringList(v: unknown, field: string, where: string): string[] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  if (list.length === 0) throw malformed(`Syntax errors in policy. ${field} in ${where} must not be empty.`);
  return list.map((x) => {
    if (typeof x !== 'string')
      throw malformed(
        `Syntax errors in policy. ${field} in ${where} must be a string or an array of strings.`,
      );
    return x;
  });
}

function compileStatement(raw: unknown, index: number, ctx: Ctx): CompiledStatement {
  const where = `statement ${index}`;
  if (!isObject(raw)) throw malformed(`Syntax errors in policy. Statement ${index} must be an object.`);
  for (const k of Object.keys(raw)) {
    if (!statementKeys.has(k)) throw malformed(`Syntax errors in policy. Unknown field ${k} in ${where}.`);
  }
  let sid: string | undefined;
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string')
      throw malformed(`Syntax errors in policy. Sid in ${where} must be a string.`);
    // IAM restricts Sids to alphanumerics; bucket policies accept any string.
    if (ctx.kind === 'identity' && !/^[0-9A-Za-z]*$/.test(raw.Sid)) {
      throw malformed(
        'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
      );
    }
    sid = raw.Sid;
  }
  if (raw.Effect === undefined) throw malformed('Missing required field Effect');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    throw malformed(
      `Invalid effect: ${typeof raw.Effect === 'string' ? raw.Effect : JSON.stringify(raw.Effect)}`,
    );
  }
  const effect: Effect = raw.Effect;

  if (raw.Action !== undefined && raw.NotAction !== undefined) {
    throw malformed(`Syntax errors in policy. ${where} has both Action and NotAction.`);
  }
  if (raw.Action === undefined && raw.NotAction === undefined)
    throw malformed('Policy statement must contain actions.');
  const notAction = raw.Action === undefined;
  const actions = stringList(
    notAction ? raw.NotAction : raw.Action,
    notAction ? 'NotAction' : 'Action',
    where,
  ).map(compileAction);

  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    throw malformed(`Syntax errors in policy. ${where} has both Resource and NotResource.`);
  }
  const notResource = raw.Resource === undefined && raw.NotResource !== undefined;
  let resources: CompiledResource[] = [];
  if (raw.Resource === undefined && raw.NotResource === undefined) {
    if (ctx.requireResource) throw malformed('Policy statement must contain resources.');
  } else {
    resources = stringList(
      notResource ? raw.NotResource : raw.Resource,
      notResource ? 'NotResource' : 'Resource',
      where,
    ).map((r) => compileResource(r, ctx.variables));
  }

  const hasPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (ctx.kind === 'identity' && hasPrincipal)
    throw malformed('Policy document should not specify a principal.');
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) {
    throw malformed(`Syntax errors in policy. ${where} has both Principal and NotPrincipal.`);
  }
  if (ctx.kind === 'resource' && !hasPrincipal) throw malformed('Missing required field Principal');
  const notPrincipal = raw.NotPrincipal !== undefined;
  const principals = hasPrincipal
    ? compilePrincipals(notPrincipal ? raw.NotPrincipal : raw.Principal)
    : undefined;

  const conditions =
    raw.Condition === undefined ? [] : compileConditions(raw.Condition, where, ctx.variables);
  return {
    index,
    ...(sid !== undefined ? { sid } : {}),
    effect,
    actions,
    notAction,
    resources,
    notResource,
    ...(principals ? { principals } : {}),
    notPrincipal,
    conditions,
  };
}

const actionShape = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/i;

/** `*`, or `prefix:Name` with wildcards; for s3/iam/sts the name must be (or match) a real action. */
function compileAction(a: string): Matcher {
  if (a === '*') return compileGlob('*', { ignoreCase: true });
  if (!a.includes(':'))
    throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  if (!actionShape.test(a)) throw malformed(`Invalid Action: ${a}`);
  const colon = a.indexOf(':');
  const service = a.slice(0, colon).toLowerCase();
  const m = compileGlob(a, { ignoreCase: true });
  if ((checkedServices as readonly string[]).includes(service)) {
    const names = knownActions.get(service as CheckedService) ?? [];
    const nameMatcher = compileGlob(a.slice(colon + 1), { ignoreCase: true });
    if (!names.some((n) => nameMatcher(n))) throw malformed(`Invalid Action: ${a}`);
  }
  return m;
}

/** `*` or `arn:partition:service:region:account:resource` (wildcards and variables allowed). */
function compileResource(r: string, variables: boolean): CompiledResource {
  if (r === '*') return { source: r, all: true, parts: [] };
  const parts = r.startsWith('arn:') ? splitArnPattern(r) : undefined;
  if (!parts || parts[1] === '' || parts[2] === '')
    throw malformed(`Resource ${r} must be in ARN format or "*".`);
  try {
    return {
      source: r,
      all: false,
      parts: parts.slice(1).map((p) => compilePattern(p, { wildcards: true, variables, ignoreCase: false })),
    };
  } catch (e) {
    throw malformed(`Invalid resource ${r}: ${(e as Error).message}`);
  }
}

const accountId = /^\d{12}$/;
const principalArn =
  /^arn:[a-z-]+:(iam::\d{12}:(root|user\/.+|role\/.+|federated-user\/.+)|sts::\d{12}:(assumed-role\/.+\/.+|federated-user\/.+))$/;

function compilePrincipals(raw: unknown): CompiledPrincipals {
  const accounts = new Set<string>();
  const arns = new Set<string>();
  const services = new Set<string>();
  const canonicalUsers = new Set<string>();
  let wildcard = false;
  if (raw === '*') {
    wildcard = true;
  } else if (isObject(raw)) {
    const entries = Object.entries(raw);
    if (entries.length === 0) throw malformed('Invalid principal in policy: empty Principal');
    for (const [type, value] of entries) {
      const list = stringList(value, `Principal ${type}`, 'policy');
      for (const v of list) {
        const invalid = (): CofferError => malformed(`Invalid principal in policy: "${type}":"${v}"`);
        switch (type) {
          case 'AWS':
            if (v === '*') wildcard = true;
            else if (accountId.test(v)) accounts.add(v);
            else if (principalArn.test(v)) {
              const m = /^arn:[a-z-]+:iam::(\d{12}):root$/.exec(v);
              if (m) accounts.add(m[1] as string);
              else arns.add(v);
            } else throw invalid();
            break;
          case 'Service':
            if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$|^\*$/.test(v)) throw invalid();
            if (v === '*') wildcard = true;
            else services.add(v.toLowerCase());
            break;
          case 'CanonicalUser':
            if (!/^[0-9a-fA-F]{64}$|^\*$/.test(v)) throw invalid();
            if (v === '*') wildcard = true;
            else canonicalUsers.add(v.toLowerCase());
            break;
          case 'Federated':
            arns.add(v);
            break;
          default:
            throw malformed(`Invalid principal in policy: unknown principal type "${type}"`);
        }
      }
    }
  } else {
    throw malformed('Invalid principal in policy: Principal must be "*" or an object');
  }
  return { wildcard, accounts, arns, services, canonicalUsers };
}

function compileConditions(raw: unknown, where: string, variables: boolean): CompiledCondition[] {
  if (!isObject(raw)) throw malformed(`Syntax errors in policy. Condition in ${where} must be an object.`);
  const out: CompiledCondition[] = [];
  for (const [opName, block] of Object.entries(raw)) {
    const op = parseOperator(opName);
    if (!op) throw malformed(`Invalid Condition type : ${opName}.`);
    if (!isObject(block))
      throw malformed(`Syntax errors in policy. Condition ${opName} in ${where} must be an object.`);
    for (const [key, rawValues] of Object.entries(block)) {
      if (!/^[A-Za-z0-9-]+:.+$/.test(key)) {
        throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
      const list = Array.isArray(rawValues) ? (rawValues as unknown[]) : [rawValues];
      if (list.length === 0)
        throw malformed(`Syntax errors in policy. Condition ${opName} on ${key} has no values.`);
      // AWS accepts JSON numbers and booleans as condition values and compares their text.
      const values = list.map((v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw malformed(
          `Syntax errors in policy. Condition ${opName} on ${key} has a value that is not a string.`,
        );
      });
      try {
        out.push(compileCondition(opName, op, key, values, { variables }));
      } catch (e) {
        throw malformed((e as Error).message);
      }
    }
  }
  return out;
}
