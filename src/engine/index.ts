// Public surface of kspec's built-in Kyverno `validate` engine.
export { compilePolicy, evaluatePolicy, evaluatePolicyAsync } from './evaluate.ts';
export { kindSpellings } from './compile.ts';
export { isValidatingPolicy } from './cel/validating-policy.ts';
export type {
  ApiCallRequest,
  CompiledPolicy,
  EvaluationContext,
  Resolvers,
  ResourceRef,
  ResultStatus,
  RuleResult,
  UserInfo,
} from './types.ts';
export { search as jmespathSearch } from './jmespath/index.ts';
