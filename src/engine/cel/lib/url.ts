// Kubernetes' CEL URL library: url(), isURL() and the URL's parts.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

export class CelURL {
  readonly url: URL;
  constructor(url: URL) {
    this.url = url;
  }
}

function parse(s: string): URL | null {
  // Kubernetes accepts absolute URIs and absolute paths; a bare path gets a placeholder base.
  try {
    return s.startsWith('/') ? new URL(s, 'relative:///') : new URL(s);
  } catch {
    return null;
  }
}

function host(u: URL): string {
  if (u.protocol === 'relative:') return '';
  return u.host;
}

export function registerUrl(env: CelEnvironment): void {
  env.registerType('URL', CelURL);
  env.registerFunction('url(string): URL', (s: string) => {
    const u = parse(s);
    if (!u) throw new Error(`URL parse error during conversion from string: ${s}`);
    return new CelURL(u);
  });
  env.registerFunction('isURL(string): bool', (s: string) => parse(s) !== null);
  env.registerFunction('URL.getScheme(): string', (u: CelURL) => (u.url.protocol === 'relative:' ? '' : u.url.protocol.replace(/:$/, '')));
  env.registerFunction('URL.getHost(): string', (u: CelURL) => host(u.url));
  env.registerFunction('URL.getHostname(): string', (u: CelURL) => (u.url.protocol === 'relative:' ? '' : u.url.hostname.replace(/^\[|\]$/g, '')));
  env.registerFunction('URL.getPort(): string', (u: CelURL) => u.url.port);
  env.registerFunction('URL.getEscapedPath(): string', (u: CelURL) => u.url.pathname);
  env.registerFunction('URL.getQuery(): map', (u: CelURL) => {
    const out: Record<string, string[]> = {};
    for (const [k, v] of u.url.searchParams) (out[k] ??= []).push(v);
    return out;
  });
}
