// The CEL language and the Kubernetes extensions policies use, through a ValidatingPolicy:
// optional types, strings, lists, sets, regex, URL, quantity, IP / CIDR, format, and the cost limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateWithLimit } from '../../../src/engine/cel/environment.ts';
import { check } from './helpers.ts';

const pass = (expression: string, spec?: Record<string, unknown>) => assert.equal(check(expression, spec), 'pass', expression);

test('JSON integers are CEL ints; macros and cel.bind work', () => {
  const spec = { replicas: 3, containers: [{ name: 'a', ports: [{ containerPort: 8080 }] }, { name: 'b' }] };
  pass('object.spec.replicas + 1 == 4', spec);
  pass('object.spec.containers.exists_one(c, c.name == "a")', spec);
  pass('object.spec.containers.filter(c, has(c.ports)).map(c, c.ports[0].containerPort) == [8080]', spec);
  pass('cel.bind(n, object.spec.containers.size(), n == 2)', spec);
});

test('optional types: ?. selection, ?[] indexing, orValue, hasValue, optional.of / none', () => {
  const spec = { containers: [{ name: 'a', securityContext: { runAsUser: 0 } }] };
  pass('object.spec.containers[0].?securityContext.?runAsUser.orValue(1000) == 0', spec);
  pass('object.spec.?hostNetwork.orValue(false) == false', spec);
  pass('!object.spec.?volumes.hasValue()', spec);
  pass('object.spec.containers[?3].orValue({"name": "none"}).name == "none"', spec);
  pass('optional.of(2).orValue(3) == 2 && optional.none().orValue(3) == 3', spec);
  // As in cel-go, orValue on a present value that is not an optional hands the value back.
  pass('object.spec.containers[0].securityContext.runAsUser.orValue(5) == 0', spec);
});

test('strings and format', () => {
  pass('"a-b-c".replace("-", "_") == "a_b_c" && "a-b-c".replace("-", "_", 1) == "a_b-c"');
  pass('"abc".charAt(1) == "b" && "abc".reverse() == "cba" && "Hello".lowerAscii() == "hello"');
  pass('"a,b".split(",") == ["a", "b"] && ["a", "b"].join("/") == "a/b" && "  x ".trim() == "x"');
  pass('strings.quote("a\\"b") == "\\"a\\\\\\"b\\""');
  pass('"%s has %d containers (%.1f)".format(["pod", 2, 1.25]) == "pod has 2 containers (1.2)" || "%s has %d containers (%.1f)".format(["pod", 2, 1.25]) == "pod has 2 containers (1.3)"');
});

test('lists and sets', () => {
  pass('[1, 2, 3].isSorted() && ![3, 1].isSorted() && [1, 2, 3].sum() == 6 && [4, 1, 9].min() == 1 && [4, 1, 9].max() == 9');
  pass('["a", "b", "a"].indexOf("a") == 0 && ["a", "b", "a"].lastIndexOf("a") == 2 && [1].indexOf(5) == -1');
  pass('sets.contains([1, 2, 3], [3, 1]) && !sets.contains([1], [2]) && sets.equivalent([1, 2], [2, 1, 2]) && sets.intersects(["a"], ["b", "a"])');
});

test('regex: matches, find, findAll', () => {
  pass('"registry.io/app:1.2".matches("^registry\\\\.io/") && "abc123def45".find("[0-9]+") == "123"');
  pass('"abc123def45".findAll("[0-9]+") == ["123", "45"] && "abc123def45".findAll("[0-9]+", 1) == ["123"] && "x".find("[0-9]") == ""');
});

test('URLs', () => {
  pass('isURL("https://example.com:8443/a/b?x=1&x=2") && !isURL("not a url")');
  pass('url("https://example.com:8443/a/b?x=1&x=2").getScheme() == "https" && url("https://example.com:8443/a").getHostname() == "example.com"');
  pass('url("https://example.com:8443/a").getPort() == "8443" && url("https://example.com:8443/a/b").getEscapedPath() == "/a/b"');
  pass('url("https://e.com/?x=1&x=2").getQuery()["x"] == ["1", "2"] && url("/just/a/path").getHost() == ""');
});

test('quantities compare exactly', () => {
  const spec = { containers: [{ resources: { limits: { memory: '1Gi', cpu: '500m' } } }] };
  pass('quantity(object.spec.containers[0].resources.limits.memory).isGreaterThan(quantity("512Mi"))', spec);
  pass('quantity(object.spec.containers[0].resources.limits.cpu).isLessThan(quantity("1"))', spec);
  pass('quantity("1").compareTo(quantity("1000m")) == 0 && isQuantity("10Mi") && !isQuantity("ten")', spec);
  pass('quantity("1.5").add(quantity("500m")).compareTo(quantity("2")) == 0 && quantity("2").sub(1).asInteger() == 1 && quantity("-1").sign() == -1');
});

test('IP addresses and CIDRs', () => {
  pass('isIP("10.1.2.3") && isIP("2001:db8::1") && !isIP("10.01.2.3") && !isIP("::ffff:1.2.3.4") && ip("2001:db8::1").family() == 6');
  pass('cidr("10.0.0.0/8").containsIP(ip("10.200.0.1")) && !cidr("10.0.0.0/8").containsIP("11.0.0.1") && cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")');
  pass('ip("127.0.0.1").isLoopback() && ip("169.254.1.1").isLinkLocalUnicast() && ip("8.8.8.8").isGlobalUnicast() && ip("0.0.0.0").isUnspecified()');
  pass('string(cidr("10.1.2.3/8").masked()) == "10.0.0.0/8" && cidr("2001:db8::/32").prefixLength() == 32 && string(cidr("10.0.0.0/8").ip()) == "10.0.0.0"');
  pass('!isCIDR("10.0.0.0/33") && isCIDR("::/0")');
});

test('an expression that exceeds its cost budget stops with an error instead of running away', () => {
  const many = Array.from({ length: 200 }, (_v, i) => ({ name: `c${i}` }));
  // 200 × 200 × 200 comparisons: far past the per-expression limit.
  const runaway = 'object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, a.name != "" && b.name != "" && c.name != "")))';
  assert.match(check(runaway, { containers: many }), /^error: .*cost limit exceeded/);
  // The same expression on a small pod is cheap and passes.
  assert.equal(check(runaway, { containers: many.slice(0, 3) }), 'pass');
  assert.throws(() => evaluateWithLimit('[1, 2, 3].all(x, x > 0)', {}, 5), /cost limit exceeded \(limit 5\)/);
  assert.equal(evaluateWithLimit('[1, 2, 3].all(x, x > 0)', {}, 1000), true);
});

test("Kyverno's user library: parseServiceAccount splits a ServiceAccount's username, and gives empty parts for anyone else", () => {
  pass("parseServiceAccount('system:serviceaccount:payments:deployer').Namespace == 'payments'");
  pass("parseServiceAccount('system:serviceaccount:payments:deployer').Name == 'deployer'");
  pass("parseServiceAccount('alice@example.com').Name == '' && parseServiceAccount('alice@example.com').Namespace == ''");
  pass("parseServiceAccount('system:serviceaccount:no-name').Name == ''");
});
