// The Dockerfile cannot be built here (no Docker engine); these checks pin what matters in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1);

test('multi-stage: npm ci --omit=dev --ignore-scripts on node:24-bookworm-slim, small Node 24 runtime', () => {
  assert.ok(stages.length >= 2);
  assert.match(stages[0], /^node:24-bookworm-slim\b/);
  assert.match(stages[0], /npm ci --omit=dev --ignore-scripts/);
  const runtime = stages.at(-1)!;
  assert.match(runtime, /^(gcr\.io\/distroless\/nodejs24-debian12|node:24-bookworm-slim)\b/);
});

test('runtime copies src, bin, deploy/kyverno-crds, package*.json and node_modules, runs as 65532, entrypoint node bin/kspec.js run', () => {
  const runtime = stages.at(-1)!;
  for (const what of ['node_modules', 'bin', 'src', 'deploy/kyverno-crds', 'package.json', 'package-lock.json']) {
    assert.ok(runtime.split('\n').some((l) => l.startsWith('COPY') && l.includes(what)), `copies ${what}`);
  }
  const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
  assert.equal(user, 'USER 65532:65532');
  assert.ok(lines.includes('ENTRYPOINT ["node", "bin/kspec.js"]'));
  assert.ok(lines.includes('CMD ["run"]'));
  // node is on PATH in the runtime image (distroless keeps it in /nodejs/bin).
  if (runtime.startsWith('gcr.io/distroless')) assert.match(runtime, /PATH=\/nodejs\/bin:/);
});

test('.dockerignore keeps secrets, git history and local state out of the build context', () => {
  const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(ignore[0], '**', 'deny by default');
  const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
  for (const a of allowed) assert.ok(/^(package(-lock)?\.json|bin\/(\*\*)?|src\/(\*\*)?|deploy\/kyverno-crds\/(\*\*)?)$/.test(a), `unexpected include ${a}`);
});

test('every base image is pinned by digest, and the Node bases are Node 24', () => {
  const froms = lines.filter((l) => l.startsWith('FROM '));
  assert.equal(froms.length, stages.length);
  for (const from of froms) {
    const image = from.split(/\s+/)[1];
    assert.match(image, /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/, `${from}: IMAGE:TAG@sha256:<digest>`);
    assert.match(image, /node(js)?[:-]?24/, `${image} is a Node 24 image`);
  }
});

test('the runtime image carries the OCI labels, the per-build ones from build arguments', () => {
  const runtime = stages.at(-1)!;
  // LABEL may continue over several lines with a trailing backslash.
  const labelText = runtime.replace(/\\\n/g, ' ').split('\n').filter((l) => l.startsWith('LABEL ')).join(' ');
  const labels = new Map([...labelText.matchAll(/(org\.opencontainers\.image\.[a-z]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const args = new Map([...runtime.matchAll(/^ARG (\w+)(?:=(.*))?$/gm)].map((m) => [m[1], m[2]]));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; description: string };
  assert.equal(labels.get('org.opencontainers.image.title'), 'kspec');
  assert.equal(labels.get('org.opencontainers.image.licenses'), pkg.license);
  assert.equal(labels.get('org.opencontainers.image.description'), pkg.description);
  for (const [label, arg] of [['version', 'VERSION'], ['revision', 'REVISION'], ['created', 'CREATED'], ['source', 'SOURCE']]) {
    assert.equal(labels.get(`org.opencontainers.image.${label}`), `\${${arg}}`, `${label} comes from --build-arg ${arg}`);
    assert.ok(args.has(arg), `ARG ${arg} is declared in the runtime stage`);
  }
  assert.equal(args.get('VERSION'), pkg.version, 'the default version is the package version');
});
