// Kyverno's image_normalize, is_external_url, x509_decode and random JMESPath functions.
import { X509Certificate, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { JMESPathError } from './lexer.ts';

/**
 * Kyverno's image reference normalisation: the default registry (docker.io) is added when the
 * first path segment is not a host, `latest` when there is neither tag nor digest; a digest
 * wins over a tag. No `library/` is inserted.
 */
export function imageNormalize(image: string): string {
  const fail = (): never => { throw new JMESPathError(`JMESPath function 'image_normalize': invalid image reference ${JSON.stringify(image)}`); };
  if (image === '' || /\s/.test(image) || image !== image.trim()) fail();
  let name = image;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) name = `docker.io/${name}`;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) fail();
  }
  let tag = '';
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) fail();
  }
  const firstSlash = name.indexOf('/');
  const path = name.slice(firstSlash + 1);
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) fail();
  if (digest) return `${name}@${digest}`;
  return `${name}:${tag || 'latest'}`;
}

function privateIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

function privateIPv6(ip: string): boolean {
  const s = ip.toLowerCase();
  if (s === '::1' || s === '::') return true;
  if (s.startsWith('::ffff:')) return privateIPv4(s.slice(7));
  return /^f[cd]/.test(s) || /^fe[89ab]/.test(s);
}

/**
 * True when a URL points outside the cluster and private networks. IP literals are checked
 * against loopback, private, link-local and unspecified ranges; host names are not resolved
 * (this engine does no DNS): localhost, single-label names and cluster-internal suffixes
 * (.local, .internal, .svc, .cluster.local) count as internal.
 */
export function isExternalUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') return false;
  const kind = isIP(host);
  if (kind === 4) return !privateIPv4(host);
  if (kind === 6) return !privateIPv6(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  if (!host.includes('.')) return false;
  if (/\.(local|internal|svc|cluster\.local|svc\.cluster\.local)$/.test(host)) return false;
  return true;
}

const NAME_FIELDS: Record<string, string> = { C: 'Country', O: 'Organization', OU: 'OrganizationalUnit', L: 'Locality', ST: 'Province', street: 'StreetAddress', postalCode: 'PostalCode', serialNumber: 'SerialNumber', CN: 'CommonName' };

/** A distinguished name in the shape of Go's pkix.Name as JSON. */
function pkixName(dn: string): Record<string, unknown> {
  const out: Record<string, unknown> = { Country: null, Organization: null, OrganizationalUnit: null, Locality: null, Province: null, StreetAddress: null, PostalCode: null, SerialNumber: '', CommonName: '', Names: [], ExtraNames: null };
  const names: Array<{ Type: string; Value: string }> = [];
  for (const line of dn.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    names.push({ Type: key, Value: value });
    const field = NAME_FIELDS[key];
    if (!field) continue;
    if (field === 'CommonName' || field === 'SerialNumber') out[field] = value;
    else out[field] = [...((out[field] as string[] | null) ?? []), value];
  }
  out.Names = names;
  return out;
}

/**
 * Decodes a PEM certificate into an object shaped like Go's x509.Certificate marshalled to JSON
 * (the fields policies read: Subject, Issuer, NotBefore, NotAfter, SerialNumber, DNSNames,
 * IPAddresses, EmailAddresses, URIs, IsCA, PublicKey, SignatureAlgorithm...).
 */
export function x509Decode(pem: string): Record<string, unknown> {
  if (/BEGIN CERTIFICATE REQUEST/.test(pem)) throw new JMESPathError("JMESPath function 'x509_decode': certificate requests are not supported by this engine");
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new JMESPathError(`JMESPath function 'x509_decode': ${(err as Error).message}`);
  }
  const san = (cert.subjectAltName ?? '').split(/,\s*/).filter((s) => s);
  const pick = (prefix: string): string[] => san.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  const iso = (d: string): string => new Date(d).toISOString().replace(/\.000Z$/, 'Z');
  const key = cert.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const publicKey: Record<string, unknown> = {};
  if (key.kty === 'RSA') {
    publicKey.N = BigInt('0x' + Buffer.from(key.n, 'base64url').toString('hex')).toString();
    publicKey.E = Number(BigInt('0x' + Buffer.from(key.e, 'base64url').toString('hex')));
  } else if (key.kty === 'EC') {
    publicKey.Curve = { Name: key.crv };
    publicKey.X = BigInt('0x' + Buffer.from(key.x, 'base64url').toString('hex')).toString();
    publicKey.Y = BigInt('0x' + Buffer.from(key.y, 'base64url').toString('hex')).toString();
  }
  const serial = BigInt('0x' + cert.serialNumber);
  return {
    Raw: cert.raw.toString('base64'),
    Version: 3,
    SerialNumber: Number(serial) <= Number.MAX_SAFE_INTEGER ? Number(serial) : serial.toString(),
    Issuer: pkixName(cert.issuer),
    Subject: pkixName(cert.subject),
    NotBefore: iso(cert.validFrom),
    NotAfter: iso(cert.validTo),
    IsCA: cert.ca,
    BasicConstraintsValid: cert.ca,
    DNSNames: pick('DNS:').length ? pick('DNS:') : null,
    EmailAddresses: pick('email:').length ? pick('email:') : null,
    IPAddresses: pick('IP Address:').length ? pick('IP Address:') : null,
    URIs: pick('URI:').length ? pick('URI:') : null,
    PublicKeyAlgorithm: key.kty === 'RSA' ? 1 : key.kty === 'EC' ? 3 : key.kty === 'OKP' ? 4 : 0,
    PublicKey: publicKey,
    Fingerprint256: cert.fingerprint256,
  };
}

const CLASSES: Record<string, string> = {
  d: '0123456789',
  w: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_',
  s: ' ',
};

/** Generates a random string matching a simple regular expression (classes, groups, alternation, quantifiers). */
export function randomFromPattern(pattern: string): string {
  let i = 0;
  const fail = (msg: string): never => { throw new JMESPathError(`JMESPath function 'random': ${msg} in ${JSON.stringify(pattern)}`); };
  type Gen = () => string;
  const charClass = (): Gen => {
    i++; // [
    let negate = false;
    if (pattern[i] === '^') { negate = true; i++; }
    let chars = '';
    while (i < pattern.length && pattern[i] !== ']') {
      let c = pattern[i++];
      if (c === '\\') { const e = pattern[i++]; c = CLASSES[e] ?? e; chars += c; continue; }
      if (pattern[i] === '-' && pattern[i + 1] !== ']' && i + 1 < pattern.length) {
        const end = pattern[i + 1];
        i += 2;
        for (let x = c.charCodeAt(0); x <= end.charCodeAt(0); x++) chars += String.fromCharCode(x);
      } else chars += c;
    }
    if (pattern[i] !== ']') fail('unterminated class');
    i++;
    if (negate) {
      const all = CLASSES.w;
      chars = [...all].filter((c) => !chars.includes(c)).join('');
    }
    if (!chars) fail('empty class');
    return () => chars[randomInt(chars.length)];
  };
  const atom = (): Gen => {
    const c = pattern[i];
    if (c === '[') return charClass();
    if (c === '(') {
      i++;
      if (pattern.startsWith('?:', i)) i += 2;
      const inner = alternation();
      if (pattern[i] !== ')') fail('unterminated group');
      i++;
      return inner;
    }
    if (c === '\\') {
      i++;
      const e = pattern[i++];
      const set = CLASSES[e];
      return set ? () => set[randomInt(set.length)] : () => e;
    }
    if (c === '.') { i++; return () => CLASSES.w[randomInt(CLASSES.w.length)]; }
    if (c === '^' || c === '$') { i++; return () => ''; }
    i++;
    return () => c;
  };
  const quantified = (): Gen => {
    const g = atom();
    const q = pattern[i];
    let min = 1;
    let max = 1;
    if (q === '*') { min = 0; max = 8; i++; }
    else if (q === '+') { min = 1; max = 8; i++; }
    else if (q === '?') { min = 0; max = 1; i++; }
    else if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!m) fail('bad quantifier');
      min = Number(m![1]);
      max = m![2] ? (m![3] ? Number(m![3]) : min + 8) : min;
      i += m![0].length;
    }
    return () => {
      const n = min + randomInt(max - min + 1);
      let out = '';
      for (let k = 0; k < n; k++) out += g();
      return out;
    };
  };
  const sequence = (): Gen => {
    const parts: Gen[] = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') parts.push(quantified());
    return () => parts.map((p) => p()).join('');
  };
  const alternation = (): Gen => {
    const alts = [sequence()];
    while (pattern[i] === '|') { i++; alts.push(sequence()); }
    return () => alts[randomInt(alts.length)]();
  };
  const gen = alternation();
  if (i < pattern.length) fail('unexpected )');
  return gen();
}
