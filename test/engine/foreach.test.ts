// foreach: element/elementIndex, own preconditions, deny, pattern, anyPattern and nesting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pod, statusOf, run, policyWith } from './helpers.ts';

const containers = (...images: string[]) => pod({ containers: images.map((image, i) => ({ name: `c${i}`, image })) });

test('foreach with pattern checks each element', () => {
  const validate = { message: 'no latest', foreach: [{ list: 'request.object.spec.containers', pattern: { image: '!*:latest' } }] };
  assert.equal(statusOf(validate, containers('a:1', 'b:2')), 'pass');
  assert.equal(statusOf(validate, containers('a:1', 'b:latest')), 'fail');
});

test('foreach with deny and element variables', () => {
  const validate = {
    message: 'container {{ element.name }} at {{ elementIndex }} uses a banned registry',
    foreach: [{ list: 'request.object.spec.containers', deny: { conditions: { any: [{ key: '{{ element.image }}', operator: 'Equals', value: 'evil.io/*' }] } } }],
  };
  const results = run(policyWith({ validate }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } }), containers('good.io/a', 'evil.io/b'));
  assert.equal(results[0].result, 'fail');
  assert.equal(results[0].message, 'validation failure: container c1 at 1 uses a banned registry');
});

test('foreach over an empty or missing list is skipped', () => {
  const validate = { message: 'm', foreach: [{ list: 'request.object.spec.initContainers', pattern: { image: '!*:latest' } }] };
  assert.equal(statusOf(validate, containers('a:1')), 'skip');
});

test('foreach preconditions filter elements', () => {
  const validate = {
    message: 'm',
    foreach: [{
      list: 'request.object.spec.containers',
      preconditions: { all: [{ key: '{{ element.name }}', operator: 'Equals', value: 'c1' }] },
      pattern: { image: '*:1' },
    }],
  };
  assert.equal(statusOf(validate, containers('x:latest', 'y:1')), 'pass');
  assert.equal(statusOf(validate, containers('x:1', 'y:2')), 'fail');
});

test('foreach with anyPattern', () => {
  const validate = { message: 'm', foreach: [{ list: 'request.object.spec.containers', anyPattern: [{ image: 'a/*' }, { image: 'b/*' }] }] };
  assert.equal(statusOf(validate, containers('a/x', 'b/y')), 'pass');
  assert.equal(statusOf(validate, containers('a/x', 'c/y')), 'fail');
});

test('nested foreach sees element0 and element', () => {
  const p = pod({ containers: [{ name: 'c0', ports: [{ containerPort: 80 }, { containerPort: 8080 }] }] });
  const validate = {
    message: 'port {{ element.containerPort }} of {{ element0.name }}',
    foreach: [{
      list: 'request.object.spec.containers',
      foreach: [{ list: 'element.ports', deny: { conditions: { any: [{ key: '{{ element.containerPort }}', operator: 'GreaterThan', value: 1024 }] } } }],
    }],
  };
  const [r] = run(policyWith({ validate }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } }), p);
  assert.equal(r.result, 'fail');
  assert.match(r.message, /port 8080 of c0/);
});

test('a JMESPath multi-select list works as a foreach list', () => {
  const p = pod({ initContainers: [{ name: 'i', image: 'x:latest' }], containers: [{ name: 'c', image: 'y:1' }] });
  const validate = { message: 'm', foreach: [{ list: 'request.object.spec.[initContainers, ephemeralContainers, containers][]', pattern: { image: '!*:latest' } }] };
  assert.equal(statusOf(validate, p), 'fail');
});
