// node bench/scale/fixture.ts up --dir DIR [--policies 1000 --specs 10 --resources 10000]
// node bench/scale/fixture.ts count --dir DIR -- <kspec arguments>
// node bench/scale/fixture.ts drift --dir DIR      (10 % of kspec's policies edited, deleted or extra)
// node bench/scale/fixture.ts empty --dir DIR      (kspec's policies deleted: the next pass starts from empty)
// node bench/scale/fixture.ts down --dir DIR
//
// A scale fixture that stays up between commands, for profiling one thing at a time (memory of
// `kspec run`, the requests of an idle pass) without the whole of `npm run bench:scale`: a
// detached etcd + kube-apiserver with the audit log on, the generated repository in DIR/repo and
// the workload. `count` runs kspec against it and prints the requests it sent, by verb.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bootstrapCluster, REPO_ROOT, startControlPlaneProcesses, stopRecorded } from '../../scripts/lib/control-plane.ts';
import { endpointFromKubeconfig } from '../../scripts/lib/kube-http.ts';
import { AuditLog, auditArgs, writeAuditPolicy } from './audit-log.ts';
import { generateRepo } from './generate.ts';
import { createWorkload } from './resources.ts';
import { deleteOwned, makeDrift } from './drift.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    policies: { type: 'string', default: '1000' },
    specs: { type: 'string', default: '10' },
    resources: { type: 'string', default: '10000' },
  },
});
const log = (msg: string) => process.stderr.write(`[fixture] ${msg}\n`);
const [command, ...rest] = positionals;
if (!values.dir || !['up', 'count', 'drift', 'empty', 'down'].includes(command ?? '')) {
  process.stderr.write('usage: node bench/scale/fixture.ts up|count|drift|empty|down --dir DIR [--policies N --specs N --resources N] [-- kspec args]\n');
  process.exit(2);
}
const dir = resolve(values.dir);
const auditLog = join(dir, 'audit.log');
const kubeconfig = join(dir, 'cluster', 'kubeconfig');

if (command === 'up') {
  mkdirSync(dir, { recursive: true });
  writeAuditPolicy(join(dir, 'audit-policy.yaml'));
  const cp = await startControlPlaneProcesses({ dir: join(dir, 'cluster'), detached: true, log, apiserverArgs: auditArgs(join(dir, 'audit-policy.yaml'), auditLog) });
  await bootstrapCluster(cp.endpoint, log);
  if (!existsSync(join(dir, 'repo'))) generateRepo(join(dir, 'repo'), Number(values.policies), Number(values.specs));
  await createWorkload(cp.endpoint, Number(values.resources));
  log(`up: KUBECONFIG=${kubeconfig}, repository ${join(dir, 'repo')}, ${values.resources} workload objects`);
} else if (command === 'down') {
  await stopRecorded(join(dir, 'cluster'), log);
} else if (command === 'drift') {
  const made = await makeDrift(await endpointFromKubeconfig(kubeconfig), `fixture-${Date.now()}`);
  log(`drift made: ${made.edited} edited, ${made.deleted} deleted, ${made.extra} extra`);
} else if (command === 'empty') {
  await deleteOwned(await endpointFromKubeconfig(kubeconfig));
  log('kspec\'s policies deleted');
} else {
  await endpointFromKubeconfig(kubeconfig); // fails clearly when the fixture is not up
  const audit = new AuditLog(auditLog);
  const mark = audit.mark();
  const started = performance.now();
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'kspec.js'), ...rest], { env: { ...process.env, KUBECONFIG: kubeconfig, XDG_CACHE_HOME: join(dir, 'cache') }, stdio: 'inherit' });
    child.on('exit', (c) => done(c ?? -1));
  });
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const count = audit.count(mark, () => true);
  const byVerb = [...count.byVerb].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v}\t${k}`).join('\n');
  process.stdout.write(`exit ${code}, ${seconds.toFixed(1)} s, ${count.total} requests, ${count.writes} writes, ${count.eventsCreated} Events\n${byVerb}\n`);
}
