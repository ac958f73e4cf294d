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
