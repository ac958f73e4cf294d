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

/** Turns the client's exceptions into a one-line message with the API server's own reason. */
export function toClusterError(action: string, err: unknown): ClusterError {
  const e = err as { code?: number; body?: unknown; message?: string; headers?: Record<string, string> };
  let reason = e.message ?? String(err);
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  if (body && typeof body === 'object' && 'message' in body) reason = String((body as { message: unknown }).message);
  const retryAfter = e.headers?.['retry-after'];
  return new ClusterError(`${action}: ${e.code ? `HTTP ${e.code}: ` : ''}${reason.split('\n')[0]}`, e.code, retryAfter ? { 'retry-after': retryAfter } : undefined);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

/**
 * A 404 for the resource type itself, not for one object: the API server does not serve that
 * group and version at all (a CRD that is not installed). It answers such paths with its plain
 * "404 page not found", where a missing object gets a Status saying which object.
 */
export const isNotServed = (err: unknown) => isNotFound(err) && /404 page not found/.test((err as Error).message ?? '');
