// Reading untrusted repositories (issue 9): parse time of a mapping with many keys with the
// YAML library's own unique-key check (what kspec did before) and with kspec's one-pass reader,
// and what hostile inputs cost in time and memory now that the limits stop them.
import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseYamlDocuments } from '../src/spec/yaml-documents.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { fetchSnapshot } from '../src/source/git-source.ts';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function measure(label: string, run: () => unknown): Promise<void> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  console.log(`${label.padEnd(62)} ${ms.toFixed(0).padStart(7)} ms   heap +${mb(peak - heapBefore)}`);
}

const mapping = (keys: number) => Array.from({ length: keys }, (_, i) => `k${i}: v${i}`).join('\n') + '\n';

console.log('mapping with many keys (duplicate-key error kept in both):');
// The library's quadratic check is only timed up to 20,000 keys: 40,000 already take minutes.
for (const keys of [5_000, 10_000, 20_000]) {
  await measure(`  ${keys.toLocaleString('en')} keys, yaml library uniqueKeys: true (before)`, () => parseAllDocuments(mapping(keys), { uniqueKeys: true })[0].toJS());
}
for (const keys of [10_000, 20_000, 40_000, 100_000]) {
  await measure(`  ${keys.toLocaleString('en')} keys, kspec reader (after)`, () => parseYamlDocuments('big.yaml', mapping(keys)));
}

console.log('\nhostile inputs, each an error of its own file:');
let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
for (const [prev, next] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) bomb += `${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
await measure('  alias bomb (9^9 strings expanded), stopped at --max-expanded-bytes', () => loadSpecs(new Map([['bomb.yaml', bomb]])));
const reuse = `big: &big "${'x'.repeat(100_000)}"\nmany: [${Array(99).fill('*big').join(', ')}]\n`;
await measure('  one 100 KB anchor reused 99 times (within the alias count)', () => loadSpecs(new Map([['reuse.yaml', reuse]])));
const empties = '---\n'.repeat(1_000_000);
await measure('  a million empty documents, stopped at --max-documents', () => loadSpecs(new Map([['empty.yaml', empties]])));
const dir = mkdtempSync(join(tmpdir(), 'kspec-bench-'));
writeFileSync(join(dir, 'huge.yaml'), `s: "${'x'.repeat(20 * 1024 * 1024)}"\n`);
writeFileSync(join(dir, 'good.yaml'), 'a: 1\n');
await measure('  a 20 MB double-quoted string, refused by --max-file-bytes', () => fetchSnapshot({ repo: dir, cacheDir: '' }));
rmSync(dir, { recursive: true, force: true });
