/** A failed call to a Kubernetes API server, with the status code when there was a response. */
export class ClusterError extends Error {
  readonly code: number | undefined;
  /** Response headers that matter to a caller (Retry-After of a 429). */
  readonly headers: Record<string, string> | undefined;
  /** The server's own words (its Status message) or the network's, without what was being done. */
  readonly reason: string;
  constructor(message: string, code?: number, headers?: Record<string, string>, reason?: string) {
    super(message);
    this.code = code;
    this.headers = headers;
    this.reason = reason ?? message;
  }
}

/** The error of a raw request, said as `action` (e.g. `apply ClusterTarget ns/name`) failing. */
export function failedTo(action: string, err: unknown): unknown {
  if (!(err instanceof ClusterError)) return err;
  return new ClusterError(`${action}: ${err.code ? `HTTP ${err.code}: ` : ''}${err.reason}`, err.code, err.headers, err.reason);
}

export const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

/**
 * A 404 for the resource type itself, not for one object: the API server does not serve that
 * group and version at all (a CRD that is not installed). It answers such paths with its plain
 * "404 page not found", where a missing object gets a Status saying which object.
 */
export const isNotServed = (err: unknown) => isNotFound(err) && /404 page not found/.test((err as Error).message ?? '');
