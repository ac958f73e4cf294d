// Benchmark (not a test): kspec scan's output writers with BENCH_SCAN_ROWS failing results
// (default 300,000) in every format, written to a sink that only counts. Prints time, bytes,
// the largest single write and the growth of the heap, which stays flat for JSON, YAML and SARIF
// (nothing is held) and grows with the rows for the table (its column widths need every row's
// cells). Before streaming, the table crashed at about 150,000 rows and the other formats past
// V8's string limit.
import { writeScan } from '../src/cli/scan-output.ts';
import type { ScanResult, ScanRun } from '../src/compliance/offline-scan.ts';

const ROWS = Number(process.env.BENCH_SCAN_ROWS ?? 300_000);

function run(count: number): ScanRun {
  const summary = { resources: count, policies: 1, pass: 0, fail: count, warn: 0, error: 0, skip: 0, failing: count, failOn: 'enforce' as const };
  function* results(): Generator<ScanResult> {
    for (let i = 0; i < count; i++) {
      yield {
        policy: 'require-team', rule: 'check-team', result: 'fail', severity: 'high', failureAction: 'Enforce',
        message: 'validation error: label team is required. rule check-team failed at path /metadata/labels/team/',
        resource: { apiVersion: 'v1', kind: 'Pod', namespace: `ns-${i % 50}`, name: `pod-${i}` }, file: `manifests/part-${i % 100}.yaml`, line: (i % 1000) * 7 + 1,
      };
    }
  }
  return { summary, results: results() };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
for (const format of ['table', 'json', 'yaml', 'sarif'] as const) {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeap = heapBefore;
  let bytes = 0;
  let writes = 0;
  let largest = 0;
  const t0 = performance.now();
  writeScan(run(ROWS), [], format, (text) => {
    bytes += Buffer.byteLength(text);
    writes++;
    largest = Math.max(largest, text.length);
    if (writes % 64 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  });
  const ms = performance.now() - t0;
  console.log(`${format.padEnd(6)} ${ROWS} rows: ${(ms / 1000).toFixed(1)} s, ${mb(bytes)} in ${writes} writes (largest ${(largest / 1024).toFixed(0)} KiB), heap +${mb(Math.max(0, peakHeap - heapBefore))} at most`);
}
console.log(`peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
