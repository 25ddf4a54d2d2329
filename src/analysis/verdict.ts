/**
 * The verdict: one line and a few findings an operator reads first, derived from the report.
 */
import type { AnalysisReport } from './types.ts';

type ReportBody = Omit<AnalysisReport, 'verdict'>;

const CLASS_TEXT: Readonly<Record<string, string>> = {
  node_died: 'node died',
  node_isolated: 'node isolated',
  partition: 'partition',
  network_loss: 'network loss',
  merge: 'merge after a partition healed',
  clean_leave: 'clean leave',
  failed_to_receive: 'FAILED TO RECEIVE',
  unknown: 'unexplained',
};

export function buildVerdict(r: ReportBody): AnalysisReport['verdict'] {
  const findings: string[] = [];
  let severity: AnalysisReport['verdict']['severity'] = 'ok';
  const raise = (s: 'warning' | 'problem'): void => {
    if (s === 'problem' || severity === 'ok') severity = s;
  };

  for (const l of r.token.losses) {
    raise('problem');
    findings.push(
      `token lost in ring ${l.ring_id}: ${CLASS_TEXT[l.classification] ?? l.classification}` +
        (l.missing.length > 0 ? ` (missing: ${l.missing.join(', ')})` : '') +
        (l.last_token_to_new_ring_ms !== null ? `, new ring ${(l.last_token_to_new_ring_ms / 1000).toFixed(2)} s after the last token` : ''),
    );
  }
  const merges = r.memberships.filter((m) => m.classification === 'merge');
  if (merges.length > 0) findings.push(`${merges.length} merge${merges.length > 1 ? 's' : ''} of separated rings`);
  const ftr = r.memberships.filter((m) => m.classification === 'failed_to_receive');
  for (const m of ftr) {
    raise('problem');
    findings.push(`ring ${m.ring_id}: ${m.explanation}`);
  }
  for (const p of r.retransmits.pinned_aru) {
    raise(p.failed_to_receive ? 'problem' : 'warning');
    findings.push(
      `node ${p.node} pinned the aru at ${p.aru} for ${p.rotations} rotations in ${p.ring_id}` +
        (p.failed_to_receive ? ' (FAILED TO RECEIVE)' : ''),
    );
  }
  if (r.retransmits.requested > 0) {
    raise('warning');
    const top = r.retransmits.by_pair[0];
    const receivers = Object.entries(r.retransmits.by_requester).sort((a, b) => b[1] - a[1]);
    const worst = receivers[0];
    const share = worst !== undefined ? Math.round((worst[1] / r.retransmits.requested) * 100) : 0;
    findings.push(
      `${r.retransmits.requested} message${r.retransmits.requested > 1 ? 's' : ''} retransmitted on request` +
        (worst !== undefined ? `; node ${worst[0]} missed ${worst[1]} (${share}%)${share >= 80 ? `: loss on node ${worst[0]}'s receive path` : ''}` : '') +
        (top !== undefined ? `; top pair ${top.sender ?? '?'} → ${top.receiver} (${top.count})` : '') +
        (r.retransmits.storms.length > 0 ? `; ${r.retransmits.storms.length} retransmit storm(s)` : ''),
    );
  }
  const near = r.token.near_misses;
  if (near !== null && near.length > 0) {
    raise('warning');
    const worst = near.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    findings.push(`${near.length} token near miss(es) above token_warning; worst ${worst.gap_ms} ms at node ${worst.node} (${Math.round(worst.ratio * 100)}% of token)`);
  }
  if (r.knet !== null) {
    const downs = r.knet.pings.flatMap((p) => p.events.filter((e) => e.kind === 'down').map(() => `link ${p.link} ${p.pinger}→${p.responder}`));
    if (downs.length > 0) {
      raise('warning');
      findings.push(`${downs.length} knet link down event(s): ${[...new Set(downs)].slice(0, 5).join('; ')}`);
    }
    const lost = r.knet.pings.reduce((a, p) => a + p.lostPongs, 0);
    if (lost > 0) findings.push(`${lost} knet pong(s) lost`);
  }
  if (r.address_changes.length > 0) {
    raise('warning');
    const shown = r.address_changes.slice(0, 3).map((a) => `node ${a.nodeid} ${a.old_address} → ${a.new_address}`);
    if (r.address_changes.length > 3) shown.push('...');
    findings.push(`${r.address_changes.length} address change(s): ${shown.join('; ')}`);
  }
  if (r.capture_gaps.missing_mcasts > 0 || r.capture_gaps.missing_token_hops > 0) {
    findings.push(
      `capture loss (not a cluster problem): ${r.capture_gaps.missing_mcasts} mcast(s) and ${r.capture_gaps.missing_token_hops} token hop(s) the ring carried are missing from the capture`,
    );
  }
  const rings = r.memberships.length;
  let summary: string;
  if (severity === 'ok') {
    summary = rings === 0 ? 'no Totem ring seen in the capture' : `healthy: ${rings} ring${rings > 1 ? 's' : ''}, no token loss, no retransmissions`;
  } else {
    const lossText = r.token.losses.map((l) => `${CLASS_TEXT[l.classification] ?? l.classification}`).join(', ');
    summary =
      r.token.losses.length > 0
        ? `${r.token.losses.length} token loss${r.token.losses.length > 1 ? 'es' : ''} (${lossText}); ${rings} ring(s)`
        : findings[0] ?? 'warnings';
  }
  return { severity, summary, findings };
}
