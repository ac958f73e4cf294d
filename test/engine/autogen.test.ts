// Pod rules auto-generated for controllers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, evaluatePolicy } from '../../src/engine/index.ts';
import { policyWith } from './helpers.ts';

const rule = { validate: { message: 'no latest', pattern: { spec: { containers: [{ image: '!*:latest' }] } } } };
const podSpec = (image: string) => ({ containers: [{ name: 'c', image }] });
const deployment = (image: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { template: { metadata: {}, spec: podSpec(image) } } });
const cronjob = (image: string) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj', namespace: 'n' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec(image) } } } } });

test('autogen adds controller and cronjob rules', () => {
  const compiled = compilePolicy(policyWith(rule));
  assert.deepEqual(compiled.rules.map((r) => r.name), ['r', 'autogen-r', 'autogen-cronjob-r']);
  const [d] = evaluatePolicy(compiled, deployment('x:latest'));
  assert.equal(d.rule, 'autogen-r');
  assert.equal(d.result, 'fail');
  assert.match(d.message, /failed at path \/spec\/template\/spec\/containers\/0\/image\//);
  const [c] = evaluatePolicy(compiled, cronjob('x:1'));
  assert.equal(c.rule, 'autogen-cronjob-r');
  assert.equal(c.result, 'pass');
});

test('autogen rewrites request.object paths in deny and foreach', () => {
  const p = policyWith({
    validate: {
      message: 'm',
      foreach: [{ list: 'request.object.spec.containers', deny: { conditions: { any: [{ key: '{{ element.image }}', operator: 'Equals', value: '*:latest' }] } } }],
    },
  });
  const compiled = compilePolicy(p);
  assert.equal(evaluatePolicy(compiled, deployment('x:latest'))[0].result, 'fail');
  assert.equal(evaluatePolicy(compiled, cronjob('x:latest'))[0].result, 'fail');
  assert.equal(evaluatePolicy(compiled, cronjob('x:1'))[0].result, 'pass');
});

test('autogen-controllers annotation narrows or disables generation', () => {
  const none = compilePolicy(policyWith(rule, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } }));
  assert.deepEqual(none.rules.map((r) => r.name), ['r']);
  assert.equal(evaluatePolicy(none, deployment('x:latest')).length, 0);
  const some = compilePolicy(policyWith(rule, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'Deployment' } }));
  assert.deepEqual(some.rules.map((r) => r.name), ['r', 'autogen-r']);
  assert.equal(evaluatePolicy(some, cronjob('x:latest')).length, 0);
});

test('no autogen when a rule selects by name or matches other kinds', () => {
  const named = policyWith({ ...rule, match: { any: [{ resources: { kinds: ['Pod'], names: ['web-*'] } }] } });
  assert.deepEqual(compilePolicy(named).rules.map((r) => r.name), ['r']);
  const services = policyWith({ ...rule, match: { any: [{ resources: { kinds: ['Service'] } }] } });
  assert.deepEqual(compilePolicy(services).rules.map((r) => r.name), ['r']);
});
