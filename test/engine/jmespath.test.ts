import { test } from 'node:test';
import assert from 'node:assert/strict';
import { search, NotFoundError } from '../../src/engine/jmespath/index.ts';

const data = {
  a: { b: { c: 1 }, list: [1, 2, 3], objs: [{ n: 'x', v: 1 }, { n: 'y', v: 2 }, { n: 'z' }] },
  s: 'Hello,World',
  q: { 'app.kubernetes.io/name': 'web' },
};

const cases: Array<[string, unknown]> = [
  ['a.b.c', 1],
  ['a.list[0]', 1],
  ['a.list[-1]', 3],
  ['a.list[1:]', [2, 3]],
  ['a.list[::-1]', [3, 2, 1]],
  ['a.objs[].n', ['x', 'y', 'z']],
  ['a.objs[*].v', [1, 2]],
  ['a.objs[?v > `1`].n', ['y']],
  ["a.objs[?n == 'x'] | [0].v", 1],
  ['a.[list, missing]', [[1, 2, 3], null]],
  ['a.{first: list[0], name: objs[0].n}', { first: 1, name: 'x' }],
  ['a.missing || `"default"`', 'default'],
  ['!(a.missing)', true],
  ['!a.missing', null],
  ['a.b && a.list', [1, 2, 3]],
  ['length(a.objs)', 3],
  ['keys(a.b)', ['c']],
  ['sort_by(a.objs, &n)[0].n', 'x'],
  ['max(a.list)', 3],
  ['sum(a.list)', 6],
  ['join(`-`, [`"a"`, `"b"`])', 'a-b'],
  ['to_upper(s)', 'HELLO,WORLD'],
  ['to_lower(s)', 'hello,world'],
  ["split(s, ',')", ['Hello', 'World']],
  ["regex_match('^Hel+o', s)", true],
  ["regex_replace_all('o', s, '0')", 'Hell0,W0rld'],
  ["replace_all(s, 'l', 'L')", 'HeLLo,WorLd'],
  ["replace(s, 'l', 'L', `1`)", 'HeLlo,World'],
  ["truncate(s, `5`)", 'Hello'],
  ["equal_fold('ABC', 'abc')", true],
  ["compare('a', 'b')", -1],
  ["base64_encode('hi')", 'aGk='],
  ["base64_decode('aGk=')", 'hi'],
  ["trim('  x  ', ' ')", 'x'],
  ["add(`1`, `2`)", 3],
  ["subtract('1Gi', '512Mi')", '512Mi'],
  ["multiply('100m', `3`)", '300m'],
  ["divide('1Gi', '512Mi')", 2],
  ["add('1h', '30m0s')", '1h30m0s'],
  ["label_match(`{\"app\":\"web\"}`, `{\"app\":\"web\",\"tier\":\"fe\"}`)", true],
  ["pattern_match('nginx:*', 'nginx:1.2')", true],
  ['q."app.kubernetes.io/name"', 'web'],
  ["semver_compare('1.2.3', '>=1.0.0')", true],
  ["to_boolean('true')", true],
  ["items(`{\"b\":2,\"a\":1}`, 'k', 'v')", [{ k: 'a', v: 1 }, { k: 'b', v: 2 }]],
  ["object_from_lists(`[\"a\"]`, `[1]`)", { a: 1 }],
  ["path_canonicalize('/a/../b//c')", '/b/c'],
  ['time_add(\'2024-01-01T00:00:00Z\', \'1h\')', '2024-01-01T01:00:00Z'],
  ["time_before('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", true],
];

for (const [expr, expected] of cases) {
  test(`jmespath: ${expr}`, () => {
    assert.deepEqual(search(expr, data), expected);
  });
}

test('jmespath: a missing key on a plain path is an error, in a projection it is not', () => {
  assert.throws(() => search('a.nope.deeper', data), NotFoundError);
  assert.throws(() => search('nope', data), /Unknown key "nope" in path/);
  assert.deepEqual(search('a.objs[].v', data), [1, 2]);
  assert.equal(search('a.nope || `1`', data), 1);
});

test('jmespath: syntax errors are reported', () => {
  assert.throws(() => search('a.[', data));
  assert.throws(() => search('unknown_fn(a)', data), /unknown function/);
});
