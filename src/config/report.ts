/**
 * `config check` output: a text report for people and a JSON object for tools.
 */
import type { BindSelection } from './addrs.ts';
import type { ConfigReport } from './check.ts';
import type { EffectiveValue } from './effective.ts';
import type { Finding } from './findings.ts';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => (indent + r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ')).trimEnd());
}

function fmtValue(v: EffectiveValue): string {
  if (v.unit === 'ms') return `${v.value} ms`;
  if (v.unit === 's') return `${v.value} s`;
  if (v.unit === '%') return `${v.value} %`;
  if (v.name === 'block_unlisted_ips' || v.name === 'cancel_token_hold_on_retransmit') return v.value === 1 ? 'yes' : 'no';
  return String(v.value);
}

function fmtFinding(f: Finding): string[] {
  const where = f.line !== undefined ? `line ${f.line}${f.column !== undefined ? `:${f.column}` : ''}` : '';
  const lines = [`  ${pad(f.severity.toUpperCase(), 7)} ${pad(where, 11)} ${f.code}: ${f.message}`, `  ${' '.repeat(20)}→ ${f.action}`];
  if (f.corosync !== undefined) lines.push(`  ${' '.repeat(20)}corosync says: ${f.corosync.trimEnd()}`);
  return lines;
}

function fmtBinding(link: number, c: BindSelection, s: BindSelection): string[] {
  const show = (sel: BindSelection): string => (sel.chosen === undefined ? `nothing (${sel.reason})` : `${sel.chosen.address} on ${sel.chosen.label ?? sel.chosen.ifname} — ${sel.reason}`);
  const out = [`  link ${link}, bind address ${c.bindnetaddr}:`, `    corosync rule: ${show(c)}`, `    safer rule:    ${show(s)}`];
  if (c.matches.length > 0) {
    out.push(`    in that network (kernel order): ${c.matches.map((m) => `${m.address.address}/${m.address.prefixlen} ${m.address.label ?? m.address.ifname}${m.address.secondary ? ' secondary' : ''}${m.exact ? ' (exact)' : ''}`).join(', ')}`);
  }
  return out;
}

export function renderReportText(r: ConfigReport, fileName: string): string {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of r.findings) counts[f.severity]++;
  const lines: string[] = [
    `${fileName} (corosync ${r.corosyncVersion === 3 ? '3.1.7' : '2.4.6'} rules): ${r.ok ? 'OK' : 'ERRORS'} — ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} note(s)`,
  ];
  const eff = r.effective;
  if (eff !== undefined) {
    lines.push('', 'Effective totem values');
    const rows: string[][] = [['name', 'value', 'origin', 'line', 'how']];
    for (const v of eff.values) rows.push([v.name, fmtValue(v), v.origin, v.line !== undefined ? String(v.line) : '', v.why]);
    lines.push(...table(rows));
    const t = eff.totem;
    lines.push('', `  Token loss is declared after ${t.token} ms; a new membership forms about ${t.consensus} ms (consensus) + ~50 ms later.`);

    lines.push('', `Nodes (${eff.nodes.length})`);
    const links = [...new Set(eff.nodes.flatMap((n) => [...n.addresses.keys()]))].sort((a, b) => a - b);
    const nrows: string[][] = [['nodeid', 'name', 'votes', ...links.map((l) => `ring${l}_addr`), 'line']];
    for (const n of eff.nodes) {
      const local = eff.localNodePosition === n.position ? ' (local)' : '';
      nrows.push([
        n.nodeid === undefined ? '-' : `${n.nodeid}${n.nodeidOrigin === 'generated' ? ' (generated)' : ''}`,
        `${n.name ?? '-'}${local}`,
        String(n.quorumVotes),
        ...links.map((l) => n.addresses.get(l) ?? '-'),
        String(n.line),
      ]);
    }
    lines.push(...table(nrows));

    lines.push('', `Links (transport ${t.transport}${t.transport === 'knet' ? `, link_mode ${t.linkMode}` : ''})`);
    const lrows: string[][] = [['link', 'port', ...(t.transport === 'knet' ? ['priority', 'ping interval', 'ping timeout', 'pong count', 'precision', 'knet transport'] : ['mcastaddr', 'ttl']), 'bind address']];
    for (const l of t.links) {
      lrows.push([
        String(l.linknumber),
        String(l.port),
        ...(t.transport === 'knet'
          ? [String(l.knetLinkPriority), `${l.knetPingInterval} ms`, `${l.knetPingTimeout} ms`, String(l.knetPongCount), String(l.knetPingPrecision), l.knetTransport]
          : [l.mcastaddr ?? '-', String(l.ttl)]),
        l.bindnetaddr ?? '-',
      ]);
    }
    lines.push(...table(lrows));
    lines.push(`  crypto: model ${t.crypto.model}, cipher ${t.crypto.cipher}, hash ${t.crypto.hash}; netmtu ${t.netmtu}`);
    if (r.bindings.length > 0) {
      lines.push('', 'Address selection');
      for (const b of r.bindings) lines.push(...fmtBinding(b.linknumber, b.corosync, b.safe));
    }
    if (eff.notes.length > 0) lines.push('', 'Notes', ...eff.notes.map((n) => `  ${n}`));
  }
  lines.push('', `Findings (${r.findings.length})`);
  if (r.findings.length === 0) lines.push('  none');
  for (const f of r.findings) lines.push(...fmtFinding(f));
  return `${lines.join('\n')}\n`;
}

/** Plain JSON (Maps become objects, bigints strings). */
export function reportToJson(r: ConfigReport, fileName: string): unknown {
  const eff = r.effective;
  return {
    file: fileName,
    corosyncVersion: r.corosyncVersion,
    ok: r.ok,
    ...(r.syntaxError !== undefined ? { syntaxError: r.syntaxError } : {}),
    ...(eff !== undefined
      ? {
          totem: eff.totem,
          values: eff.values,
          nodes: eff.nodes.map((n) => ({ ...n, addresses: Object.fromEntries([...n.addresses].map(([l, a]) => [`ring${l}_addr`, a])), local: eff.localNodePosition === n.position })),
          notes: eff.notes,
        }
      : {}),
    bindings: r.bindings,
    findings: r.findings,
  };
}
