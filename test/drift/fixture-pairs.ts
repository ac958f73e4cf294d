// The config/live fixture pairs of every kind kspec renders, checked one way: the live side
// (as the API server and Kyverno return it) drifts from the desired side at exactly the listed
// field paths, or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { detectDrift } from '../../src/drift/detect.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';

export interface FixturePair {
  live: string;
  /** The desired side, when not the file's default one. */
  desired?: DesiredPolicy;
  /** Field paths reported as drift; empty when the difference is harmless. */
  drift: string[];
  /** Why the pair exists: the tampering it proves is seen, or the default it proves is not drift. */
  why: string;
}

const NOW = '2026-11-25T10:00:00Z';

export const fixture = (name: string): KyvernoPolicy => parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));

export function testFixturePairs(title: string, defaultDesired: DesiredPolicy, pairs: FixturePair[]): void {
  for (const pair of pairs) {
    test(`${title} ${pair.live}: ${pair.why}`, () => {
      const want = pair.desired ?? defaultDesired;
      const result = detectDrift([want], [fixture(pair.live)], NOW);
      if (pair.drift.length === 0) {
        assert.deepEqual(result.drifts.map((d) => d.event), []);
        assert.equal(result.inSync.length, 1);
        return;
      }
      assert.equal(result.drifts.length, 1);
      const [drift] = result.drifts;
      assert.equal(drift.type, 'modified');
      assert.deepEqual(drift.event.fields!.map((f) => f.path), pair.drift);
      const { kind, metadata: { name } } = want.object;
      assert.match(drift.event.diff!, new RegExp(`^--- live/${kind}/${name}\n\\+\\+\\+ desired/${kind}/${name}`, 'm'));
    });
  }
}
