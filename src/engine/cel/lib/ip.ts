// Kubernetes' CEL IP and CIDR libraries: ip("10.0.0.1"), cidr("10.0.0.0/8") and their tests.
// Addresses are kept as (family, bigint) so that containment is plain arithmetic.
import { isIPv4, isIPv6 } from 'node:net';
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

export class CelIP {
  readonly family: 4 | 6;
  readonly bits: bigint;
  constructor(family: 4 | 6, bits: bigint) {
    this.family = family;
    this.bits = bits;
  }
  toString(): string {
    return this.family === 4 ? formatV4(this.bits) : formatV6(this.bits);
  }
}

export class CelCIDR {
  readonly ip: CelIP;
  readonly prefix: number;
  constructor(ip: CelIP, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }
  toString(): string {
    return `${this.ip}/${this.prefix}`;
  }
}

const width = (f: 4 | 6) => (f === 4 ? 32 : 128);

function formatV4(b: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((b >> s) & 255n)).join('.');
}

function formatV6(b: bigint): string {
  const groups = Array.from({ length: 8 }, (_v, i) => Number((b >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function parseV6(s: string): bigint {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const part = (x: string) => (x === '' ? [] : x.split(':'));
  const h = part(head);
  const t = tail === null ? [] : part(tail);
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function parseIP(s: string): CelIP | null {
  if (isIPv4(s)) {
    // Kubernetes refuses leading zeros, which other parsers read as octal.
    if (s.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return null;
    return new CelIP(4, s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n));
  }
  // Zones ("fe80::1%eth0") and IPv4-mapped forms ("::ffff:1.2.3.4") are refused, as in Kubernetes.
  if (isIPv6(s) && !s.includes('%') && !s.includes('.')) return new CelIP(6, parseV6(s));
  return null;
}

function parseCIDR(s: string): CelCIDR | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  if (prefix > width(ip.family)) return null;
  return new CelCIDR(ip, prefix);
}

function mustIP(s: string): CelIP {
  const ip = parseIP(s);
  if (!ip) throw new Error(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
  return ip;
}

function mustCIDR(s: string): CelCIDR {
  const c = parseCIDR(s);
  if (!c) throw new Error(`network address ${JSON.stringify(s)} parse error during conversion from string`);
  return c;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const w = BigInt(width(family));
  return ((1n << w) - 1n) ^ ((1n << (w - BigInt(prefix))) - 1n);
}

function containsIP(c: CelCIDR, ip: CelIP): boolean {
  if (ip.family !== c.ip.family) return false;
  const m = mask(c.ip.family, c.prefix);
  return (ip.bits & m) === (c.ip.bits & m);
}

function inRange(ip: CelIP, base: string, prefix: number): boolean {
  return containsIP(new CelCIDR(mustIP(base), prefix), ip);
}

export function registerIP(env: CelEnvironment): void {
  env.registerType('net.IP', CelIP);
  env.registerType('net.CIDR', CelCIDR);
  env.registerFunction('ip(string): net.IP', mustIP);
  env.registerFunction('isIP(string): bool', (s: string) => parseIP(s) !== null);
  env.registerFunction('string(net.IP): string', (ip: CelIP) => ip.toString());
  env.registerFunction('net.IP.family(): int', (ip: CelIP) => BigInt(ip.family));
  env.registerFunction('net.IP.isUnspecified(): bool', (ip: CelIP) => ip.bits === 0n);
  env.registerFunction('net.IP.isLoopback(): bool', (ip: CelIP) => (ip.family === 4 ? inRange(ip, '127.0.0.0', 8) : ip.bits === 1n));
  env.registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: CelIP) => (ip.family === 4 ? inRange(ip, '224.0.0.0', 24) : inRange(ip, 'ff02::', 16)));
  env.registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: CelIP) => (ip.family === 4 ? inRange(ip, '169.254.0.0', 16) : inRange(ip, 'fe80::', 10)));
  env.registerFunction('net.IP.isGlobalUnicast(): bool', (ip: CelIP) => {
    if (ip.bits === 0n) return false;
    if (ip.family === 4) return !inRange(ip, '127.0.0.0', 8) && !inRange(ip, '169.254.0.0', 16) && !inRange(ip, '224.0.0.0', 4) && ip.bits !== 0xffffffffn;
    return ip.bits !== 1n && !inRange(ip, 'fe80::', 10) && !inRange(ip, 'ff00::', 8);
  });
  env.registerFunction('cidr(string): net.CIDR', mustCIDR);
  env.registerFunction('isCIDR(string): bool', (s: string) => parseCIDR(s) !== null);
  env.registerFunction('string(net.CIDR): string', (c: CelCIDR) => c.toString());
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', containsIP);
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: CelCIDR, s: string) => containsIP(c, mustIP(s)));
  env.registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CelCIDR, o: CelCIDR) => o.prefix >= c.prefix && containsIP(c, o.ip));
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCIDR, s: string) => {
    const o = mustCIDR(s);
    return o.prefix >= c.prefix && containsIP(c, o.ip);
  });
  env.registerFunction('net.CIDR.ip(): net.IP', (c: CelCIDR) => c.ip);
  env.registerFunction('net.CIDR.masked(): net.CIDR', (c: CelCIDR) => new CelCIDR(new CelIP(c.ip.family, c.ip.bits & mask(c.ip.family, c.prefix)), c.prefix));
  env.registerFunction('net.CIDR.prefixLength(): int', (c: CelCIDR) => BigInt(c.prefix));
}
