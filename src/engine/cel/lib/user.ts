// Kyverno's CEL user library: parseServiceAccount(username) splits a ServiceAccount's username
// (`system:serviceaccount:NAMESPACE:NAME`) into its Namespace and Name. Any other user gives both
// empty, so a comparison is simply false rather than an error.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

const PREFIX = 'system:serviceaccount:';

export function parseServiceAccount(username: string): { Namespace: string; Name: string } {
  if (!username.startsWith(PREFIX)) return { Namespace: '', Name: '' };
  const rest = username.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? { Namespace: '', Name: '' } : { Namespace: rest.slice(0, colon), Name: rest.slice(colon + 1) };
}

export function registerUser(env: CelEnvironment): void {
  env.registerFunction('parseServiceAccount(string): map', (username: string) => parseServiceAccount(username));
}
