/** The closing table of `read --stats`: frames by transport and message type, failures by code. */
import type { PipelineStats } from '../decode/stats.ts';

function table(title: string, rows: ReadonlyArray<readonly [string, number]>, total: number): string[] {
  if (rows.length === 0) return [];
  const width = Math.max(title.length, ...rows.map(([k]) => k.length)) + 2;
  const out = [title];
  for (const [k, n] of rows) {
    const pct = total > 0 ? ((100 * n) / total).toFixed(1) : '0.0';
    out.push(`  ${k.padEnd(width)} ${String(n).padStart(10)}  ${pct.padStart(5)}%`);
  }
  return out;
}

function sorted(m: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function renderStats(s: PipelineStats): string[] {
  const lines: string[] = [];
  lines.push(`Frames: ${s.frames}   bytes: ${s.bytes}`);
  lines.push(...table('Frames by status', Object.entries(s.byStatus).filter(([, n]) => n > 0), s.frames));
  lines.push(...table('Frames by transport', sorted(s.byTransport), s.frames));
  lines.push(...table('Messages by transport and type', sorted(s.byTransportType), s.frames));
  lines.push(...table('Malformed frames by error code', sorted(s.errorsByCode), s.frames));
  lines.push(...table('Ignored frames by reason', sorted(s.ignoredByReason), s.frames));
  return lines;
}

/** The same figures as one JSON object (for `read --stats --json`). */
export function statsJson(s: PipelineStats): Record<string, unknown> {
  return {
    frames: s.frames,
    bytes: s.bytes,
    by_status: s.byStatus,
    by_transport: Object.fromEntries(s.byTransport),
    by_transport_type: Object.fromEntries(s.byTransportType),
    errors_by_code: Object.fromEntries(s.errorsByCode),
    ignored_by_reason: Object.fromEntries(s.ignoredByReason),
  };
}
