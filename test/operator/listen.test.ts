// `kspec run --listen` on an address another process holds: the command ends with a usage-level
// error naming the address, before it watches or passes anything. It used to print the error and
// keep running its spec watch and passes, with no metrics, health or webhook endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '../support/cluster.ts';
import { ROOT, inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';

test('kspec run on a port already in use exits with an error naming the address and runs no pass', { timeout: 120_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('listen');
  const repo = mkdtempSync(join(tmpdir(), 'kspec-listen-'));
  writeFileSync(join(repo, 'target.yaml'), inClusterTarget(ns));
  writeFileSync(join(repo, 'spec.yaml'), specYaml(`listen-${ns.slice(-8)}`, ns, { checks: { a: policyYaml(`listen-${ns.slice(-8)}`, { namespace: ns }) } }));
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const port = (holder.address() as { port: number }).port;

  const child = spawn(process.execPath, [join(ROOT, 'bin/kspec.js'), 'run', '--repo', repo, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

  assert.notEqual(code, 0, stderr);
  assert.match(stderr, new RegExp(`address already in use 127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(stderr, /"pass started"/, 'no pass ran');
});
