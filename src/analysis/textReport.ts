/**
 * The human report: verdict and key numbers first, then one section per topic. Times are shown in
 * the capture clock (UTC) and as offsets from the first frame.
 */
import type { DistributionSummary } from './distribution.ts';
import type { AnalysisReport } from './types.ts';

export interface TextReportOptions {
  /** Lines per list before "... N more" (default 20). */
  readonly maxListLines?: number;
}

export function renderTextReport(r: AnalysisReport, options: TextReportOptions = {}): string {
  const limit = options.maxListLines ?? 20;
  const t0 = r.capture.first_ts ?? 0;
  const at = (ts: number | null): string => {
    if (ts === null) return '-';
    const iso = new Date(ts * 1000).toISOString();
    return `${iso.slice(11, 23)} (+${(ts - t0).toFixed(3)}s)`;
  };
  const name = (id: number | null): string => {
    if (id === null) return '?';
    const n = r.nodes.find((x) => x.nodeid === id);
    return n?.name !== null && n?.name !== undefined ? `${id}(${n.name})` : String(id);
  };
  const dist = (d: DistributionSummary): string =>
    d.count === 0 ? 'n/a' : `n=${d.count} p50=${d.p50} p90=${d.p90} p99=${d.p99} max=${d.max} ms`;
  const out: string[] = [];
  const list = <T>(items: readonly T[], line: (x: T) => string): void => {
    for (const x of items.slice(0, limit)) out.push(`  ${line(x)}`);
    if (items.length > limit) out.push(`  ... ${items.length - limit} more (see --json)`);
  };

  out.push(`VERDICT: ${r.verdict.severity.toUpperCase()}: ${r.verdict.summary}`);
  for (const f of r.verdict.findings) out.push(`  - ${f}`);
  out.push('');
  const c = r.capture;
  out.push(
    `Capture: ${c.first_ts === null ? '-' : new Date(c.first_ts * 1000).toISOString()} .. ${c.last_ts === null ? '-' : new Date(c.last_ts * 1000).toISOString()}` +
      ` (${c.duration_s} s), ${c.frames.total} frames, ${c.frames.totem} totem` +
      (c.transports.length > 0 ? `, transport ${c.transports.join('/')}` : '') +
      (c.frames.error > 0 ? `, ${c.frames.error} undecodable` : ''),
  );
  const tm = r.timers;
  out.push(
    tm.token_ms === null
      ? 'Timers: token timeout unknown (give --config or --token for near misses)'
      : `Timers: token ${tm.token_ms} ms (warning at ${tm.token_warning_ms} ms), hold ${tm.hold_ms} ms, consensus ${tm.consensus_ms} ms [${tm.source ?? ''}]`,
  );
  out.push(
    `Key numbers: ${r.memberships.length} ring(s), ${r.token.losses.length} token loss(es), rotation p50 ${r.token.rotation_active_ms.count > 0 ? r.token.rotation_active_ms.p50 : r.token.rotation_ms.p50} ms, ` +
      `${r.retransmits.requested} retransmit request(s), ${r.capture_gaps.missing_mcasts + r.capture_gaps.missing_token_hops} frame(s) missing from the capture`,
  );

  out.push('', 'MEMBERSHIP');
  if (r.memberships.length === 0) out.push('  (no ring seen)');
  list(r.memberships, (m) => {
    const parts = [
      `ring ${m.ring_id}`,
      `members [${m.members.map(name).join(' ')}]`,
      m.joined.length > 0 ? `joined [${m.joined.join(' ')}]` : '',
      m.left.length > 0 ? `left [${m.left.join(' ')}]` : '',
      m.formed_at !== null ? `formed ${at(m.formed_at)}` : `first seen ${at(m.first_seen)}`,
      `${m.classification}${m.inferred ? ' (members inferred)' : ''}`,
    ].filter((p) => p !== '');
    let line = parts.join('  ');
    if (m.gather !== null) line += `\n      gather: ${m.gather.joins} join(s), ${m.gather.leaves} leave(s) from ${at(m.gather.first_join_at)}`;
    if (m.commit !== null) line += `; commit ${at(m.commit.first_at)} (${m.commit.hops} hop(s))`;
    if (m.recovery !== null && m.recovery.encapsulated_messages > 0) line += `; ${m.recovery.encapsulated_messages} message(s) recovered`;
    if (m.explanation !== '') line += `\n      ${m.explanation}`;
    return line;
  });

  out.push('', 'TOKEN LOSS');
  if (r.token.losses.length === 0) out.push('  none');
  list(r.token.losses, (l) =>
    [
      `${at(l.at)} ring ${l.ring_id}: ${l.classification.toUpperCase()}`,
      `      ${l.explanation}`,
      `      last holder ${name(l.last_holder)}, silent ${l.silent_nodes.length > 0 ? l.silent_nodes.join(' ') : 'none'}, ${l.joins} join(s), ` +
        `consensus ${at(l.consensus_at)}, new ring(s) ${l.new_rings.join(' ') || '-'}` +
        (l.last_token_to_new_ring_ms !== null ? `, last token → new ring ${l.last_token_to_new_ring_ms} ms` : ''),
    ].join('\n'),
  );

  const tk = r.token;
  out.push('', 'TOKEN');
  out.push(`  rotation (measured at ${tk.rotation_measured_at.join(',') || '-'}): ${dist(tk.rotation_ms)}`);
  out.push(`  rotation without idle holds: ${dist(tk.rotation_active_ms)}`);
  out.push(`  idle holds by the representative (seq unchanged, not slowness): ${tk.idle_holds.count}${tk.idle_holds.count > 0 ? ` (${dist(tk.idle_holds.hold_ms)})` : ''}`);
  for (const [id, d] of Object.entries(tk.hold_ms)) out.push(`  hold at node ${name(Number(id))}: ${dist(d)}`);
  for (const [id, d] of Object.entries(tk.gap_ms)) out.push(`  gap between forwards at node ${name(Number(id))}: ${dist(d)}`);
  if (tk.max_gap !== null) out.push(`  longest gap: ${tk.max_gap.gap_ms} ms at node ${name(tk.max_gap.node)}, ${at(tk.max_gap.at)}`);
  const retx = Object.entries(tk.retransmitted);
  if (retx.length > 0) out.push(`  tokens sent again (same token_seq): ${retx.map(([k, v]) => `${name(Number(k))}:${v}`).join(' ')}`);
  if (tk.near_misses === null) out.push('  near misses: token timeout unknown');
  else {
    out.push(`  near misses (> ${r.timers.token_warning_ms} ms): ${tk.near_misses.length}`);
    list(tk.near_misses, (n) => `${at(n.at)} node ${name(n.node)} ${n.gap_ms} ms (${Math.round(n.ratio * 100)}% of token)`);
  }

  const rt = r.retransmits;
  out.push('', 'RETRANSMISSIONS');
  out.push(`  requested ${rt.requested}, repaired ${rt.repaired}, unrepaired ${rt.unrepaired}; repair time ${dist(rt.repaired_after_ms)}`);
  if (rt.by_pair.length > 0) out.push(`  lost sender → receiver: ${rt.by_pair.slice(0, 10).map((p) => `${name(p.sender)}→${name(p.receiver)}:${p.count}`).join('  ')}`);
  for (const s of rt.storms) out.push(`  storm ${at(s.from)} .. ${at(s.to)}: ${s.requested} requests, peak ${s.peak_per_s}/s`);
  for (const p of rt.pinned_aru) {
    out.push(
      `  pinned aru: node ${name(p.node)} held aru ${p.aru} (missing seq ${p.missing_seq} from ${name(p.missing_sender)}) for ${p.rotations} rotations ${at(p.from)} .. ${at(p.to)}` +
        (p.failed_to_receive ? ' FAILED TO RECEIVE' : ''),
    );
  }
  list(rt.entries, (e) =>
    `seq ${e.seq.toString(16)} (${e.ring_id}) from ${name(e.sender)} requested by ${name(e.requested_by)} ${at(e.requested_at)}` +
      (e.repaired_after_ms !== null ? `, resent by ${name(e.retransmitted_by)} after ${e.repaired_after_ms} ms${e.repair_inferred ? ' (inferred)' : ''}` : ', not repaired in capture'),
  );

  const g = r.capture_gaps;
  out.push('', 'CAPTURE GAPS (frames the ring carried but the capture lacks; not a network problem)');
  if (g.ranges.length === 0) out.push('  none');
  out.push(`  missing mcasts ${g.missing_mcasts}, missing token hops ${g.missing_token_hops}`);
  list(g.ranges, (x) => `${at(x.at)} ${x.kind} ${x.ring_id} ${x.from_seq}..${x.to_seq} (${x.count})`);

  const k = r.knet;
  if (k !== null) {
    out.push('', 'KNET LINKS');
    const ms = (ns: number): string => at(ns / 1e9);
    list(k.pings, (p) => {
      const rtt = p.rtt === null ? 'no rtt' : `rtt p50=${p.rtt.p50Ms.toFixed(3)} p99=${p.rtt.p99Ms.toFixed(3)} max=${p.rtt.maxMs.toFixed(3)} ms`;
      const events = p.events.map((e) => `${e.kind} ${ms(e.timeNs)}`).join(', ');
      return `link ${p.link} ${p.pinger}→${p.responder}: ${p.pings} pings, ${p.pongs} pongs, ${p.lostPongs} lost; ${rtt}${events !== '' ? `; ${events}` : ''}`;
    });
    list(k.pmtud, (m) => `link ${m.link} ${m.prober}→${m.peer}: PMTUD ${m.probes} probes, ${m.replies} replies, MTU ${m.settledMtu ?? '?'}`);
  }

  out.push('', 'ADDRESSES');
  for (const n of r.nodes) out.push(`  node ${name(n.nodeid)}: ${n.addresses.join(', ') || '-'} (${n.frames} frames, last ${at(n.last_seen)})`);
  list(r.address_changes, (a) => `${at(a.at)} node ${name(a.nodeid)} ${a.old_address} → ${a.new_address}: ${a.likely_cause}`);
  return out.join('\n') + '\n';
}
