// validate.podSecurity: baseline and restricted controls and exclusions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pod, run, policyWith } from './helpers.ts';

const restrictedOk = {
  name: 'c', image: 'nginx:1',
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } },
};
const withSc = (sc: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  pod({ containers: [{ ...restrictedOk, securityContext: { ...restrictedOk.securityContext, ...sc } }], ...extra });

function result(level: string, resource: Record<string, unknown>, exclude?: unknown[]): string {
  const policy = policyWith({ validate: { podSecurity: { level, version: 'latest', ...(exclude ? { exclude } : {}) } } });
  return run(policy, resource)[0].result;
}

const cases: Array<[string, string, Record<string, unknown>, string]> = [
  ['restricted ok', 'restricted', withSc({}), 'pass'],
  ['baseline ok with plain pod', 'baseline', pod({ containers: [{ name: 'c', image: 'x' }] }), 'pass'],
  ['restricted needs drop ALL', 'restricted', pod({ containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }] }), 'fail'],
  ['host network', 'baseline', withSc({}, { hostNetwork: true }), 'fail'],
  ['privileged', 'baseline', withSc({ privileged: true }), 'fail'],
  ['baseline capability add', 'baseline', withSc({ capabilities: { add: ['SYS_ADMIN'] } }), 'fail'],
  ['baseline allows CHOWN', 'baseline', withSc({ capabilities: { add: ['CHOWN'] } }), 'pass'],
  ['restricted forbids CHOWN', 'restricted', withSc({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }), 'fail'],
  ['restricted allows NET_BIND_SERVICE', 'restricted', withSc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }), 'pass'],
  ['hostPath volume', 'baseline', withSc({}, { volumes: [{ name: 'v', hostPath: { path: '/' } }] }), 'fail'],
  ['restricted volume type', 'restricted', withSc({}, { volumes: [{ name: 'v', nfs: { server: 's', path: '/' } }] }), 'fail'],
  ['restricted allows configMap', 'restricted', withSc({}, { volumes: [{ name: 'v', configMap: { name: 'x' } }] }), 'pass'],
  ['host port', 'baseline', pod({ containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] }), 'fail'],
  ['unconfined seccomp', 'baseline', withSc({ seccompProfile: { type: 'Unconfined' } }), 'fail'],
  ['unsafe sysctl', 'baseline', withSc({}, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }), 'fail'],
  ['safe sysctl', 'baseline', withSc({}, { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] } }), 'pass'],
  ['selinux user', 'baseline', withSc({ seLinuxOptions: { user: 'root' } }), 'fail'],
  ['procMount', 'baseline', withSc({ procMount: 'Unmasked' }), 'fail'],
  ['apparmor annotation', 'baseline', pod({ containers: [{ name: 'c', image: 'x' }] }, { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } }), 'fail'],
  ['runAsUser 0', 'restricted', withSc({ runAsUser: 0 }), 'fail'],
  ['runAsNonRoot at pod level', 'restricted', pod({ securityContext: { runAsNonRoot: true }, containers: [{ ...restrictedOk, securityContext: { ...restrictedOk.securityContext, runAsNonRoot: undefined } }] }), 'pass'],
  ['privilege escalation unset', 'restricted', withSc({ allowPrivilegeEscalation: undefined }), 'fail'],
  ['windows hostProcess', 'baseline', withSc({ windowsOptions: { hostProcess: true } }), 'fail'],
];

for (const [name, level, resource, expected] of cases) {
  test(`podSecurity ${level}: ${name}`, () => {
    assert.equal(result(level, JSON.parse(JSON.stringify(resource)), undefined), expected);
  });
}

test('podSecurity exclusions by control, images, restrictedField and values', () => {
  const sysAdmin = withSc({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } });
  assert.equal(result('restricted', sysAdmin), 'fail');
  assert.equal(result('restricted', sysAdmin, [{ controlName: 'Capabilities', images: ['nginx*'] }]), 'pass');
  assert.equal(result('restricted', sysAdmin, [{ controlName: 'Capabilities', images: ['redis*'] }]), 'fail');
  assert.equal(result('restricted', sysAdmin, [{ controlName: 'Capabilities', images: ['nginx*'], restrictedField: 'spec.containers[*].securityContext.capabilities.add', values: ['SYS_ADMIN'] }]), 'pass');
  assert.equal(result('restricted', sysAdmin, [{ controlName: 'Capabilities', images: ['nginx*'], restrictedField: 'spec.containers[*].securityContext.capabilities.add', values: ['NET_RAW'] }]), 'fail');
  const podUnconfined = pod({ securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ ...restrictedOk, securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } }] });
  assert.equal(result('restricted', podUnconfined), 'fail');
  assert.equal(result('restricted', podUnconfined, [{ controlName: 'Seccomp' }]), 'pass');
});

test('podSecurity on a controller reads the pod template and reports the control', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { hostPID: true, containers: [{ name: 'c', image: 'x' }] } } } };
  const results = run(policyWith({ validate: { podSecurity: { level: 'baseline', version: 'latest' } } }), deployment);
  assert.equal(results[0].rule, 'autogen-r');
  assert.equal(results[0].result, 'fail');
  assert.match(results[0].message, /^Validation rule 'autogen-r' failed\. It violates PodSecurity "baseline:latest": \(\{Allowed:false ForbiddenReason:host namespaces/);
});
