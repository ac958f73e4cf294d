import { stringify } from 'yaml';

/** A plain aligned table, the way kubectl prints one. */
export function table(headers: string[], rows: string[][]): string {
  // A loop rather than Math.max(...rows): spreading one argument per row overflows the stack
  // somewhere past 100,000 rows.
  const widths = headers.map((h) => h.length);
  for (const r of rows) r.forEach((cell, i) => { if (i < widths.length && cell.length > widths[i]) widths[i] = cell.length; });
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function serialize(value: unknown, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) + '\n' : stringify(value, { lineWidth: 0 });
}
