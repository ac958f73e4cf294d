/** A failed call to a Kubernetes API server, with the status code when there was a response. */
export class ClusterError extends Error {
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** Turns the client's exceptions into a one-line message with the API server's own reason. */
export function toClusterError(action: string, err: unknown): ClusterError {
  const e = err as { code?: number; body?: unknown; message?: string };
  let reason = e.message ?? String(err);
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  if (body && typeof body === 'object' && 'message' in body) reason = String((body as { message: unknown }).message);
  return new ClusterError(`${action}: ${e.code ? `HTTP ${e.code}: ` : ''}${reason.split('\n')[0]}`, e.code);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;
