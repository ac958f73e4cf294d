// Kyverno functions added for images, URLs, certificates, random strings and Go time layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { search } from '../../src/engine/jmespath/index.ts';

const digest = 'sha256:' + 'b'.repeat(64);
const cases: Array<[string, unknown]> = [
  ["image_normalize('busybox')", 'docker.io/busybox:latest'],
  ["image_normalize('busybox:1.36')", 'docker.io/busybox:1.36'],
  ["image_normalize('team/app:v2')", 'docker.io/team/app:v2'],
  ["image_normalize('quay.io/org/tool')", 'quay.io/org/tool:latest'],
  ["image_normalize('localhost/dev/x:1')", 'localhost/dev/x:1'],
  ["image_normalize('registry.local:5000/a/b')", 'registry.local:5000/a/b:latest'],
  [`image_normalize('quay.io/org/tool:1.0@${digest}')`, `quay.io/org/tool@${digest}`],
  ["is_external_url('https://api.github.com/repos')", true],
  ["is_external_url('http://192.168.1.20:8080/')", false],
  ["is_external_url('http://127.0.0.1/')", false],
  ["is_external_url('http://169.254.169.254/latest/meta-data')", false],
  ["is_external_url('http://[::1]:9000/')", false],
  ["is_external_url('http://8.8.8.8/')", true],
  ["is_external_url('http://localhost:8080')", false],
  ["is_external_url('http://my-svc.my-ns.svc.cluster.local')", false],
  ["is_external_url('http://backend')", false],
  ["is_external_url('not a url')", false],
  ["time_parse('2006-01-02', '2023-11-30')", '2023-11-30T00:00:00Z'],
  ["time_parse('02 Jan 06 15:04 MST', '07 Feb 24 08:15 UTC')", '2024-02-07T08:15:00Z'],
  ["time_parse('2006-01-02T15:04:05Z07:00', '2024-06-01T12:00:00+02:00')", '2024-06-01T10:00:00Z'],
  ["time_parse('January 2, 2006 3:04pm', 'March 9, 2024 11:45pm')", '2024-03-09T23:45:00Z'],
  ["time_parse('2006-01-02 15:04:05.000', '2024-01-01 00:00:01.500')", '2024-01-01T00:00:01.500Z'],
  ["time_since('2006-01-02', '2024-01-01', '2024-01-03')", '48h0m0s'],
  ["time_since('', '2024-01-01T00:00:00Z', '2024-01-01T00:01:30Z')", '1m30s'],
];

for (const [expr, expected] of cases) {
  test(`function: ${expr}`, () => assert.deepEqual(search(expr, {}), expected));
}

test('function: image_normalize rejects references that are not images', () => {
  assert.throws(() => search("image_normalize('Bad Image')", {}), /invalid image reference/);
  assert.throws(() => search("image_normalize('')", {}), /invalid image reference/);
});

test('function: time_parse rejects a value that does not fit the layout', () => {
  assert.throws(() => search("time_parse('2006-01-02', '30/11/2023')", {}), /cannot parse time/);
  assert.throws(() => search("time_parse('2006-01-02', '2023-02-30')", {}), /cannot parse time/);
});

test('function: random() produces strings matching its pattern', () => {
  for (const [pattern, re] of [['[a-z0-9]{8}', /^[a-z0-9]{8}$/], ['(blue|green)-\\d{3}', /^(blue|green)-\d{3}$/], ['x[A-F]?y', /^x[A-F]?y$/]] as const) {
    for (let k = 0; k < 20; k++) assert.match(String(search(`random('${pattern.replace(/\\/g, '\\\\')}')`, {})), re);
  }
});

test('function: x509_decode reads a PEM certificate like Go x509.Certificate JSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-x509-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '10',
      '-subj', '/CN=svc.example.org/O=Example', '-addext', 'subjectAltName=DNS:svc.example.org,DNS:alt.example.org'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not available');
    return;
  }
  const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
  const cert = search('x509_decode(pem)', { pem }) as Record<string, any>;
  assert.equal(cert.Subject.CommonName, 'svc.example.org');
  assert.deepEqual(cert.Subject.Organization, ['Example']);
  assert.deepEqual(cert.DNSNames, ['svc.example.org', 'alt.example.org']);
  assert.equal(cert.PublicKey.E, 65537);
  assert.match(cert.NotAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(search("x509_decode(pem).NotAfter > x509_decode(pem).NotBefore", { pem }), true);
  assert.throws(() => search("x509_decode('garbage')", {}), /x509_decode/);
});
