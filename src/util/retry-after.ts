// The Retry-After header as a number of seconds, as the Kubernetes API server and GitHub send it
// (the HTTP-date form is not used by either). Undefined when absent or not a usable number.
export function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === '') return undefined;
  const seconds = Number(first);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
