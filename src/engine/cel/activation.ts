// The names a CEL expression of an admission policy sees: object, oldObject, request (the
// admission request), params, namespaceObject and the lazily computed variables.
import { isObject } from '../jmespath/values.ts';
import type { UserInfo } from '../types.ts';
import type { NamedProgram } from './expressions.ts';
import { resourceForKind } from './resources.ts';
import { toCel, toCelCached } from './values.ts';
import { CelResourceLookup } from './lib/resource.ts';
import type { ApiGet } from './lib/resource.ts';
import { PendingResolution } from '../context.ts';

export interface AdmissionInput {
  object: Record<string, unknown>;
  oldObject: Record<string, unknown> | null;
  operation: string;
  userInfo: UserInfo;
  namespaceObject: Record<string, unknown> | null;
  params: Record<string, unknown> | null;
  /** Reads other objects for `resource.Get` / `resource.List`; absent where nothing can. */
  apiGet?: ApiGet;
}

const noApiAccess: ApiGet = () => {
  throw new Error('resource.Get and resource.List need access to a cluster, and none is given here');
};

function request(input: AdmissionInput): Record<string, unknown> {
  const o = input.object;
  const meta = isObject(o.metadata) ? o.metadata : {};
  const apiVersion = String(o.apiVersion ?? '');
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const kind = String(o.kind ?? '');
  return {
    kind: { group, version, kind },
    resource: { group, version, resource: resourceForKind(kind) },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource: resourceForKind(kind) },
    name: String(meta.name ?? ''),
    namespace: String(meta.namespace ?? ''),
    operation: input.operation,
    userInfo: { username: input.userInfo.username ?? '', uid: input.userInfo.uid ?? '', groups: input.userInfo.groups ?? [] },
    dryRun: false,
  };
}

/** The activation for one evaluation; `variables` are computed on first use, each at most once. */
export function buildActivation(input: AdmissionInput, variables: NamedProgram[]): Record<string, unknown> {
  const activation: Record<string, unknown> = {
    object: toCelCached(input.object),
    oldObject: input.oldObject ? toCelCached(input.oldObject) : null,
    request: null,
    params: input.params ? toCel(input.params) : null,
    namespaceObject: input.namespaceObject ? toCel(input.namespaceObject) : null,
    resource: new CelResourceLookup(input.apiGet ?? noApiAccess),
  };
  activation.request = { ...(toCel(request(input)) as Record<string, unknown>), object: activation.object, oldObject: activation.oldObject };
  const vars: Record<string, unknown> = {};
  for (const v of variables) {
    let state: { value: unknown } | { error: Error } | null = null;
    Object.defineProperty(vars, v.name, {
      enumerable: true,
      get() {
        state ??= (() => {
          try {
            return { value: v.program.evaluate(activation) };
          } catch (err) {
            // A lookup still in flight is not the variable's error: the async evaluation retries.
            if (err instanceof PendingResolution) throw err;
            return { error: new Error(`variable ${v.name}: ${(err as Error).message}`) };
          }
        })();
        if ('error' in state) throw state.error;
        return state.value;
      },
    });
  }
  activation.variables = vars;
  return activation;
}
