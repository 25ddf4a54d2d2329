/**
 * What the analysis takes from corosync.conf, through src/config's effective values (the same
 * numbers corosync computes: effective token = token + (nodes − 2) · token_coefficient, hold,
 * consensus, token_warning, seqno_unchanged_const; wire-format.md §6.9), plus node names and
 * configured ring addresses.
 */
import { loadTotemConfig } from '../config/index.ts';
import type { AnalyzerOptions } from './types.ts';

export interface AnalysisConfig {
  readonly tokenMs: number;
  readonly tokenWarningPercent: number;
  readonly holdMs: number;
  readonly consensusMs: number;
  readonly seqnoUnchangedConst: number;
  readonly nodeNames: ReadonlyMap<number, string>;
  readonly nodeAddresses: ReadonlyMap<number, readonly string[]>;
}

/** Throws with corosync.conf's syntax error when the text cannot be read. */
export function analysisConfigFromConf(text: string): AnalysisConfig {
  const loaded = loadTotemConfig(text);
  if ('error' in loaded) throw new Error(loaded.error);
  const t = loaded.totem;
  const names = new Map<number, string>();
  const addresses = new Map<number, string[]>();
  for (const n of loaded.report.effective?.nodes ?? []) {
    if (n.nodeid === undefined) continue;
    if (n.name !== undefined) names.set(n.nodeid, n.name);
    addresses.set(n.nodeid, [...n.addresses.values()]);
  }
  return {
    tokenMs: t.token,
    tokenWarningPercent: t.tokenWarningPercent,
    holdMs: t.hold,
    consensusMs: t.consensus,
    seqnoUnchangedConst: t.seqnoUnchangedConst,
    nodeNames: names,
    nodeAddresses: addresses,
  };
}

/** AnalyzerOptions for a corosync.conf text. */
export function analyzerOptionsFromConf(text: string): AnalyzerOptions {
  const c = analysisConfigFromConf(text);
  return {
    tokenMs: c.tokenMs,
    tokenWarningPercent: c.tokenWarningPercent,
    holdMs: c.holdMs,
    consensusMs: c.consensusMs,
    seqnoUnchangedConst: c.seqnoUnchangedConst,
    nodeNames: c.nodeNames,
    nodeAddresses: c.nodeAddresses,
    timersSource: 'corosync.conf',
  };
}
