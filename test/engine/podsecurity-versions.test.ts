// validate.podSecurity.version: which Pod Security Standards checks apply, and how, at each version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pod, run, policyWith } from './helpers.ts';
import { pssMinorVersion } from '../../src/engine/podsecurity.ts';

// A container that satisfies every restricted check of every version.
const good = {
  name: 'app', image: 'registry.local/app:1',
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } },
};
type O = Record<string, unknown>;
const withContainer = (sc: O, podExtra: O = {}, meta: O = {}): O =>
  pod({ containers: [{ ...good, securityContext: { ...good.securityContext, ...sc } }], ...podExtra }, meta);
const windows = (sc: O): O => pod({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'registry.local/app:1', securityContext: { runAsNonRoot: true, ...sc } }] });
const sysctl = (name: string): O => withContainer({}, { securityContext: { sysctls: [{ name, value: '1' }] } });

function status(level: string, version: string, resource: O): string {
  return run(policyWith({ validate: { podSecurity: { level, version } } }), JSON.parse(JSON.stringify(resource)))[0].result;
}

const cases: Array<[string, string, string, O, string]> = [
  // sysctls: the allowed list grows in 1.27, 1.29 and 1.32
  ['reserved ports sysctl before 1.27', 'baseline', 'v1.26', sysctl('net.ipv4.ip_local_reserved_ports'), 'fail'],
  ['reserved ports sysctl from 1.27', 'baseline', 'v1.27', sysctl('net.ipv4.ip_local_reserved_ports'), 'pass'],
  ['keepalive sysctl at 1.28', 'baseline', 'v1.28', sysctl('net.ipv4.tcp_keepalive_time'), 'fail'],
  ['keepalive sysctl at 1.29', 'baseline', 'v1.29', sysctl('net.ipv4.tcp_keepalive_time'), 'pass'],
  ['tcp_rmem sysctl at 1.31', 'baseline', 'v1.31', sysctl('net.ipv4.tcp_rmem'), 'fail'],
  ['tcp_wmem sysctl at 1.32', 'baseline', 'v1.32', sysctl('net.ipv4.tcp_wmem'), 'pass'],
  ['tcp_rmem sysctl at latest', 'baseline', 'latest', sysctl('net.ipv4.tcp_rmem'), 'pass'],
  ['original safe sysctl at 1.19', 'baseline', 'v1.19', sysctl('net.ipv4.ping_group_range'), 'pass'],
  // SELinux container_engine_t from 1.31
  ['container_engine_t at 1.30', 'baseline', 'v1.30', withContainer({ seLinuxOptions: { type: 'container_engine_t' } }), 'fail'],
  ['container_engine_t at 1.31', 'baseline', 'v1.31', withContainer({ seLinuxOptions: { type: 'container_engine_t' } }), 'pass'],
  // probe and lifecycle hosts from 1.34
  ['probe host at 1.33', 'baseline', 'v1.33', withContainer({}, {}, {}), 'pass'],
  ['probe host at 1.33 is allowed', 'baseline', 'v1.33', pod({ containers: [{ ...good, livenessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } }] }), 'pass'],
  ['probe host at 1.34 is refused', 'baseline', 'v1.34', pod({ containers: [{ ...good, livenessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } }] }), 'fail'],
  // procMount in a user namespace: baseline relaxes from 1.35, restricted never does
  ['unmasked procMount, user namespace, baseline 1.34', 'baseline', 'v1.34', withContainer({ procMount: 'Unmasked' }, { hostUsers: false }), 'fail'],
  ['unmasked procMount, user namespace, baseline 1.35', 'baseline', 'v1.35', withContainer({ procMount: 'Unmasked' }, { hostUsers: false }), 'pass'],
  ['unmasked procMount, user namespace, baseline latest', 'baseline', 'latest', withContainer({ procMount: 'Unmasked' }, { hostUsers: false }), 'pass'],
  ['unmasked procMount, user namespace, restricted latest', 'restricted', 'latest', withContainer({ procMount: 'Unmasked' }, { hostUsers: false }), 'fail'],
  ['unmasked procMount, host users, baseline latest', 'baseline', 'latest', withContainer({ procMount: 'Unmasked' }), 'fail'],
  // seccomp: annotations before 1.19, fields from 1.19
  ['unconfined seccomp field at 1.18', 'baseline', 'v1.18', withContainer({ seccompProfile: { type: 'Unconfined' } }), 'pass'],
  ['unconfined seccomp field at 1.19', 'baseline', 'v1.19', withContainer({ seccompProfile: { type: 'Unconfined' } }), 'fail'],
  ['unconfined seccomp annotation at 1.18', 'baseline', 'v1.18', withContainer({}, {}, { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }), 'fail'],
  ['docker/default seccomp annotation at 1.18', 'baseline', 'v1.18', withContainer({}, {}, { annotations: { 'container.seccomp.security.alpha.kubernetes.io/app': 'docker/default' } }), 'pass'],
  ['unconfined container annotation at 1.18', 'baseline', 'v1.18', withContainer({}, {}, { annotations: { 'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined' } }), 'fail'],
  ['unconfined seccomp annotation at 1.19', 'baseline', 'v1.19', withContainer({}, {}, { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }), 'pass'],
  // restricted checks and their first versions
  ['missing seccomp, restricted 1.18', 'restricted', 'v1.18', withContainer({ seccompProfile: undefined }), 'pass'],
  ['missing seccomp, restricted 1.19', 'restricted', 'v1.19', withContainer({ seccompProfile: undefined }), 'fail'],
  ['no drop ALL, restricted 1.21', 'restricted', 'v1.21', withContainer({ capabilities: undefined }), 'pass'],
  ['no drop ALL, restricted 1.22', 'restricted', 'v1.22', withContainer({ capabilities: undefined }), 'fail'],
  ['SYS_ADMIN added, restricted 1.21 (baseline capabilities)', 'restricted', 'v1.21', withContainer({ capabilities: { add: ['SYS_ADMIN'] } }), 'fail'],
  ['CHOWN added, restricted 1.21', 'restricted', 'v1.21', withContainer({ capabilities: { add: ['CHOWN'] } }), 'pass'],
  ['CHOWN added, restricted 1.22', 'restricted', 'v1.22', withContainer({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }), 'fail'],
  ['runAsUser 0, restricted 1.22', 'restricted', 'v1.22', withContainer({ runAsUser: 0 }), 'pass'],
  ['runAsUser 0, restricted 1.23', 'restricted', 'v1.23', withContainer({ runAsUser: 0 }), 'fail'],
  // Windows pods: exempt from privilege escalation, seccomp and capabilities checks from 1.25
  ['windows pod, restricted 1.24', 'restricted', 'v1.24', windows({}), 'fail'],
  ['windows pod, restricted 1.25', 'restricted', 'v1.25', windows({}), 'pass'],
  ['windows pod, restricted latest', 'restricted', 'latest', windows({}), 'pass'],
  ['windows pod adding SYS_ADMIN, restricted 1.25', 'restricted', 'v1.25', windows({ capabilities: { add: ['SYS_ADMIN'] } }), 'pass'],
  ['windows pod adding SYS_ADMIN, baseline 1.25', 'baseline', 'v1.25', windows({ capabilities: { add: ['SYS_ADMIN'] } }), 'fail'],
  ['windows pod with unconfined seccomp, restricted 1.25', 'restricted', 'v1.25', windows({ seccompProfile: { type: 'Unconfined' } }), 'pass'],
  ['windows pod with unconfined seccomp, baseline 1.25', 'baseline', 'v1.25', windows({ seccompProfile: { type: 'Unconfined' } }), 'fail'],
  ['windows hostProcess, baseline 1.25', 'baseline', 'v1.25', windows({ windowsOptions: { hostProcess: true } }), 'fail'],
  // checks present from 1.0 apply at every version
  ['privileged at 1.19', 'baseline', 'v1.19', withContainer({ privileged: true }), 'fail'],
  ['hostPath volume, restricted 1.20', 'restricted', 'v1.20', withContainer({}, { volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'fail'],
  ['apparmor unconfined annotation at 1.19', 'baseline', 'v1.19', withContainer({}, {}, { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } }), 'fail'],
];

for (const [name, level, version, resource, expected] of cases) {
  test(`podSecurity ${level}:${version}: ${name}`, () => {
    assert.equal(status(level, version, resource), expected);
  });
}

test('podSecurity version strings: v-prefixed, bare, latest, and newer than known', () => {
  assert.equal(pssMinorVersion('v1.24'), 24);
  assert.equal(pssMinorVersion('1.27'), 27);
  assert.equal(pssMinorVersion('latest'), pssMinorVersion(undefined));
  assert.equal(pssMinorVersion('v1.99'), pssMinorVersion('latest'));
});

test('podSecurity message names the version evaluated', () => {
  const r = run(policyWith({ validate: { podSecurity: { level: 'baseline', version: 'v1.24' } } }), withContainer({ privileged: true }))[0];
  assert.equal(r.result, 'fail');
  assert.match(r.message, /PodSecurity "baseline:v1\.24"/);
});
