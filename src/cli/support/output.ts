import { Option } from 'commander';

export const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

/** Prints rows as an aligned table (chosen columns) or as JSON (the API objects as they came). */
export function printRows<T extends object>(rows: T[], columns: [string, (r: T) => unknown][], format: string): void {
  if (format === 'json') {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const cells = rows.map((r) => columns.map(([, f]) => formatCell(f(r))));
  const heads = columns.map(([h]) => h.toUpperCase());
  const widths = heads.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (cs: string[]) => cs.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write([line(heads), ...cells.map(line)].join('\n') + '\n');
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}
