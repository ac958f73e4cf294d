// npm run cluster:up [-- --dir DIR] [--kubeconfig FILE]
// npm run cluster:down [-- --dir DIR]
//
// `up` is idempotent: it reuses the etcd + kube-apiserver recorded in DIR (default .kspec/cluster)
// when they are alive, and otherwise starts them detached (they outlive this script), writes the
// admin kubeconfig (default .kspec/kubeconfig for the default DIR, DIR/kubeconfig otherwise),
// installs deploy/crds and deploy/kyverno-crds and creates namespace kspec-system.
// `down` stops them and removes DIR.
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { down, REPO_ROOT, up } from './lib/control-plane.ts';

const DEFAULT_DIR = path.join(REPO_ROOT, '.kspec', 'cluster');
const DEFAULT_KUBECONFIG = path.join(REPO_ROOT, '.kspec', 'kubeconfig');
const usage = 'usage: node scripts/cluster.ts up|down [--dir DIR] [--kubeconfig FILE]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const cmd = positionals[0];
  if (values.help || (cmd !== 'up' && cmd !== 'down') || positionals.length > 1) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const dir = values.dir ? path.resolve(values.dir) : DEFAULT_DIR;
  const kubeconfig = values.kubeconfig
    ? path.resolve(values.kubeconfig)
    : dir === DEFAULT_DIR
      ? DEFAULT_KUBECONFIG
      : undefined;
  const log = (m: string) => process.stderr.write(`[cluster] ${m}\n`);

  if (cmd === 'down') {
    await down(dir, log);
    if (kubeconfig) await rm(kubeconfig, { force: true });
    log(`stopped; removed ${path.relative(process.cwd(), dir) || dir}`);
    return 0;
  }

  const res = await up({ dir, detached: true, log });
  let out = res.kubeconfigPath;
  if (kubeconfig && kubeconfig !== res.kubeconfigPath) {
    await mkdir(path.dirname(kubeconfig), { recursive: true });
    await copyFile(res.kubeconfigPath, kubeconfig);
    await chmod(kubeconfig, 0o600);
    out = kubeconfig;
  }
  log(
    res.reused
      ? `already running at ${res.server}`
      : `started at ${res.server} in ${((res.startupMs ?? 0) / 1000).toFixed(1)} s`,
  );
  log(`export KUBECONFIG=${out}`);
  process.stdout.write(`${out}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[cluster] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
