// Arithmetic operators, let expressions and Kyverno's typed arithmetic functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { search } from '../../src/engine/jmespath/index.ts';

const doc = {
  spec: { replicas: 4, max: 10, cpu: '250m', mem: '1Gi', ttl: '90s' },
  pods: [{ name: 'web', cost: 3 }, { name: 'db', cost: 7 }],
  owner: 'db',
};

const values: Array<[string, unknown]> = [
  ['spec.replicas + spec.max', 14],
  ['spec.max - spec.replicas', 6],
  ['spec.max-spec.replicas', 6],
  ['spec.max - `1`', 9],
  ['spec.max -1', 9],
  ['spec.replicas * `3`', 12],
  ['spec.replicas × `3`', 12],
  ['spec.max / `4`', 2.5],
  ['spec.max ÷ `4`', 2.5],
  ['spec.max // `4`', 2],
  ['spec.max % `4`', 2],
  ['`2` + `3` * `4`', 14],
  ['(`2` + `3`) * `4`', 20],
  ['`10` - `4` - `3`', 3],
  ['-spec.replicas', -4],
  ['- spec.replicas + `1`', -3],
  ['+spec.replicas', 4],
  ['spec.replicas * `2` > spec.max', false],
  ['spec.replicas + spec.max == `14`', true],
  ['sum(pods[].cost) / length(pods)', 5],
  ['pods[?cost * `2` > `10`].name', ['db']],
  // Operators on strings fall back to Kyverno's quantity/duration arithmetic.
  ["spec.mem - '512Mi'", '512Mi'],
  ["spec.cpu * `2`", '500m'],
  ["spec.mem / '256Mi'", 4],
  ["spec.ttl + '30s'", '2m0s'],
  ["-spec.ttl", '-1m30s'],
  // Anything else is null.
  ["owner + `1`", null],
  ['spec.missing + `1`', null],
  // let expressions (JEP-18) bind variables visible to the body, including inside filters.
  ['let $o = owner in pods[?name == $o].cost | [0]', 7],
  ['let $a = spec.replicas, $b = $a * `2` in $b + `1`', 9],
  ['let $x = `1` in let $x = `2` in $x', 2],
  ['let $n = spec.max in pods[].{name: name, left: $n - cost}', [{ name: 'web', left: 7 }, { name: 'db', left: 3 }]],
  // A field called "let" still works.
  ['let', null],
];

const letDoc = { let: null };

for (const [expr, expected] of values) {
  test(`operators: ${expr}`, () => {
    const data = expr === 'let' ? letDoc : doc;
    assert.deepEqual(search(expr, data), expected);
  });
}

const kyverno: Array<[string, unknown]> = [
  ["add('1Gi', '512Mi')", '1536Mi'],
  ["add('1h', '30m0s')", '1h30m0s'],
  ['add(`1.5`, `2`)', 3.5],
  ["subtract('2h', '30m0s')", '1h30m0s'],
  ["multiply(`2`, '1h')", '2h0m0s'],
  ["multiply('1h', `0.5`)", '30m0s'],
  ["divide('1h', '30m0s')", 2],
  ["divide('1h', `4`)", '15m0s'],
  ["divide('3Gi', `3`)", '1Gi'],
  ["modulo('5Gi', '2Gi')", '1Gi'],
  ["modulo('50m0s', '20m0s')", '10m0s'],
  ['modulo(`7`, `3`)', 1],
];

for (const [expr, expected] of kyverno) {
  test(`kyverno arithmetic: ${expr}`, () => assert.deepEqual(search(expr, doc), expected));
}

const errors: Array<[string, RegExp]> = [
  // "30m" is a quantity (30 milli) before it is a duration, so it does not mix with "1h".
  ["add('1h', '30m')", /types mismatch/],
  ["add('1Gi', `1`)", /types mismatch/],
  ["subtract(`5`, '1h')", /types mismatch/],
  ["multiply('1Gi', '1Gi')", /types mismatch/],
  ["divide(`1`, '1Gi')", /types mismatch/],
  ['divide(`1`, `0`)', /Zero divisor/],
  ['modulo(`7.5`, `2`)', /Non-integer/],
  ["add('abc', `1`)", /invalid operands/],
  ['spec.max / `0`', /division by zero/],
  ['$undefined', /variable not defined/],
];

for (const [expr, re] of errors) {
  test(`arithmetic error: ${expr}`, () => assert.throws(() => search(expr, doc), re));
}
