// Public surface of the pure IAM policy engine: parse/validate/compile documents, evaluate
// requests into Decisions, built-in policies and the known-action tables.
export { parsePolicy, compilePolicy, POLICY_SIZE_LIMITS, type ParseOptions } from './parse.js';
export { evaluate } from './evaluate.js';
export { parseOperator } from './conditions.js';
export {
  builtinPolicies,
  builtinPolicy,
  awsManagedPolicyArn,
  rolePolicy,
  type BuiltinPolicy,
  type BuiltinPolicyName,
} from './builtin.js';
export { s3Actions, iamActions, stsActions, knownActions, checkedServices } from './actions.js';
export type * from './types.js';
export type { ContextReader } from './pattern.js';
