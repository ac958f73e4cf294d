import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { crdFiles } from '../../src/api/crd-files.ts';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

test('deploy/crds matches the schemas in src/api (run `npm run crds` after changing them)', () => {
  const expected = crdFiles();
  assert.deepEqual(readdirSync(dir).sort(), [...expected.keys()].sort());
  for (const [name, text] of expected) {
    assert.equal(readFileSync(join(dir, name), 'utf8'), text, `${name} is stale`);
  }
});

test('every CRD has a status subresource, short names and phase/mode/score/drift/age columns', () => {
  const columns = new Set<string>();
  for (const [name, text] of crdFiles()) {
    if (name === 'kustomization.yaml') continue;
    const crd = parse(text);
    const version = crd.spec.versions[0];
    assert.deepEqual(version.subresources, { status: {} }, name);
    assert.ok(crd.spec.names.shortNames.length > 0, name);
    for (const column of version.additionalPrinterColumns) columns.add(column.name);
  }
  for (const wanted of ['Phase', 'Mode', 'Score', 'Drift', 'Age']) assert.ok(columns.has(wanted), wanted);
});

test('enums of the seed API are in the schema', () => {
  const spec = parse(crdFiles().get('kspec.io_clusterspecifications.yaml')!).spec.versions[0].schema.openAPIV3Schema;
  assert.deepEqual(spec.properties.spec.properties.enforcementMode.enum, ['monitor', 'enforce']);
  assert.deepEqual(spec.properties.spec.properties.policies.items.properties.severity.enum, ['critical', 'high', 'medium', 'low']);
  assert.deepEqual(spec.properties.status.properties.phase.enum, ['Pending', 'Active', 'Failed']);
  assert.deepEqual(spec.properties.spec.required, ['targetClusterRef', 'enforcementMode', 'policies']);
  assert.deepEqual(spec.properties.spec.properties.remediation.enum, ['auto', 'report'], 'optional, so every seed document stays valid');
  const drift = parse(crdFiles().get('kspec.io_driftreports.yaml')!).spec.versions[0].schema.openAPIV3Schema;
  assert.deepEqual(drift.properties.status.properties.driftEvents.items.properties.type.enum, ['missing', 'modified', 'extra']);
});
