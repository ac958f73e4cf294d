// Installing Debian's prometheus (.ci/run) or etcd-server (scripts/install-control-plane.sh) must
// not start their system services, and no script may stop processes by name. The helper runs here
// for real, with apt-get replaced by a script that plays a package's postinst: it asks the
// policy file, as invoke-rc.d does, whether it may start its service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HELPER = path.join(ROOT, 'scripts/lib/apt-install-quiet.sh');

function fakeApt(dir: string, policy: string, exitCode = 0): string {
  const bin = path.join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(
    path.join(bin, 'apt-get'),
    `#!/bin/sh\necho "$*" > "${dir}/apt-args"\nif [ -x "${policy}" ]; then "${policy}" prometheus start; echo $? > "${dir}/policy-answer"; else echo none > "${dir}/policy-answer"; fi\nexit ${exitCode}\n`,
  );
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  return bin;
}

function install(dir: string, policy: string, bin: string): number {
  try {
    execFileSync('bash', ['-c', `set -euo pipefail; SUDO=""; source "${HELPER}"; apt_install_without_services --no-install-recommends prometheus`], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KSPEC_POLICY_RC_D: policy },
      stdio: 'pipe',
    });
    return 0;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

test('a package installed through the helper is refused its service start, and the policy file goes afterwards', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-apt-'));
  const policy = path.join(dir, 'policy-rc.d');
  const bin = fakeApt(dir, policy);
  assert.equal(install(dir, policy, bin), 0);
  assert.equal(readFileSync(path.join(dir, 'policy-answer'), 'utf8').trim(), '101', 'invoke-rc.d is told: action forbidden');
  assert.equal(readFileSync(path.join(dir, 'apt-args'), 'utf8').trim(), 'install -y -qq --no-install-recommends prometheus');
  assert.equal(existsSync(policy), false, 'the policy file it created is removed');
});

test('an existing policy-rc.d is left exactly as it was, also when the install fails', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-apt-'));
  const policy = path.join(dir, 'policy-rc.d');
  const mine = '#!/bin/sh\n# the administrator\'s own policy\nexit 0\n';
  writeFileSync(policy, mine, { mode: 0o755 });
  const bin = fakeApt(dir, policy, 100);
  assert.equal(install(dir, policy, bin), 100, 'the install failure is passed on');
  assert.equal(readFileSync(path.join(dir, 'policy-answer'), 'utf8').trim(), '0');
  assert.equal(readFileSync(policy, 'utf8'), mine);
});

test('a failed install still removes the policy file the helper created', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kspec-apt-'));
  const policy = path.join(dir, 'policy-rc.d');
  const bin = fakeApt(dir, policy, 100);
  assert.equal(install(dir, policy, bin), 100);
  assert.equal(existsSync(policy), false);
});

test('no script stops processes by name', () => {
  const files = ['.ci/run', ...readdirSync(path.join(ROOT, 'scripts'), { recursive: true, encoding: 'utf8' }).map((f) => `scripts/${f}`)].filter((f) => /\.(sh|ts)$|run$/.test(f));
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, /\b(pkill|killall)\b/, `${file} stops processes by name`);
  }
});
