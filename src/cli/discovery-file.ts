// What `reconcile` and `plan` learned of each API server's discovery, kept between runs in the
// cache folder (--cache-dir) for as long as it is fresh (DISCOVERY_TTL_MS), as kubectl keeps its
// discovery cache: a run soon after another reads no /apis/<group>/<version> again. A cache that
// cannot be read or written costs those requests, nothing else.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Discovery } from '../cluster/discovery.ts';
import type { DiscoveryRecord } from '../cluster/discovery.ts';
import type { Logger } from '../log.ts';

interface SavedDiscovery {
  version: 1;
  servers: Record<string, DiscoveryRecord>;
}

export function discoveryFile(cacheDir: string): string {
  return join(cacheDir, 'discovery.json');
}

export function loadDiscovery(cacheDir: string): void {
  Discovery.remember(new Map());
  let saved: SavedDiscovery | undefined;
  try {
    saved = JSON.parse(readFileSync(discoveryFile(cacheDir), 'utf8')) as SavedDiscovery;
  } catch {
    return;
  }
  if (saved?.version !== 1 || !saved.servers || typeof saved.servers !== 'object') return;
  const usable = Object.entries(saved.servers).filter(([, r]) => r && typeof r.loadedAt === 'number' && r.groups && r.versions && typeof r.versions === 'object');
  Discovery.remember(new Map(usable));
}

export function saveDiscovery(cacheDir: string, log: Logger): void {
  try {
    const saved: SavedDiscovery = { version: 1, servers: Object.fromEntries(Discovery.records()) };
    const file = discoveryFile(cacheDir);
    mkdirSync(cacheDir, { recursive: true });
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(saved), { mode: 0o600 });
    renameSync(aside, file);
  } catch (err) {
    log.warn('cannot save what discovery found for the next run', { error: (err as Error).message });
  }
}
