// Counts the API requests a client sent, from the API server's own audit log: every request is
// one audit event (stage ResponseComplete; a watch counts once, when its response starts), with
// the verb, resource and user agent. The benchmark remembers where the log ended before a step
// and counts the events written after it.
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';

/** Audit policy: metadata of every request, one event per request. */
export function writeAuditPolicy(file: string): void {
  writeFileSync(
    file,
    ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: [RequestReceived]', 'rules:', '  - level: Metadata', ''].join('\n'),
  );
}

export function auditArgs(policyFile: string, logFile: string): string[] {
  return [`--audit-policy-file=${policyFile}`, `--audit-log-path=${logFile}`, '--audit-log-maxsize=0', '--audit-log-mode=blocking', '--audit-log-format=json'];
}

export interface AuditEvent {
  verb: string;
  stage: string;
  userAgent?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
  requestURI: string;
  responseStatus?: { code?: number };
}

export interface RequestCount {
  total: number;
  writes: number;
  /** Requests by `verb resource[/subresource]`. */
  byVerb: Map<string, number>;
  eventsCreated: number;
  throttled: number;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export class AuditLog {
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  /** Where the log ends now. */
  mark(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /** The requests since `mark` whose user agent passes `from` (the API server's own are never counted). */
  count(mark: number, from: (userAgent: string) => boolean): RequestCount {
    const count: RequestCount = { total: 0, writes: 0, byVerb: new Map(), eventsCreated: 0, throttled: 0 };
    for (const event of this.eventsSince(mark)) {
      const counted = event.verb === 'watch' ? event.stage === 'ResponseStarted' : event.stage === 'ResponseComplete';
      if (!counted || event.user?.username?.startsWith('system:') || !from(event.userAgent ?? '')) continue;
      count.total++;
      if (WRITE_VERBS.has(event.verb)) count.writes++;
      if (event.verb === 'create' && event.objectRef?.resource === 'events') count.eventsCreated++;
      if (event.responseStatus?.code === 429) count.throttled++;
      const what = `${event.verb} ${event.objectRef?.resource ?? event.requestURI.split('?')[0]}${event.objectRef?.subresource ? `/${event.objectRef.subresource}` : ''}`;
      count.byVerb.set(what, (count.byVerb.get(what) ?? 0) + 1);
    }
    return count;
  }

  private *eventsSince(mark: number): Generator<AuditEvent> {
    const end = this.mark();
    if (end <= mark) return;
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(end - mark);
      readSync(fd, buffer, 0, buffer.length, mark);
      for (const line of buffer.toString('utf8').split('\n')) {
        if (line.trim()) yield JSON.parse(line) as AuditEvent;
      }
    } finally {
      closeSync(fd);
    }
  }
}

export const isKubectl = (userAgent: string) => userAgent.startsWith('kubectl');
