/**
 * K seeded simulations with one configuration, summarised for `totemscope sim` and the property tests.
 */
import type { Violation } from './checks.ts';
import { runSimulation, type SimResult, type WireCodec } from './simulation.ts';

export interface SimBatchConfig {
  readonly nodes: number;
  readonly seeds: number;
  readonly seedStart: number;
  readonly loss: number;
  readonly latencyMs: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly partitions: boolean;
  readonly crashes: boolean;
  readonly durationMs: number;
  readonly token: number;
  readonly tokenCoefficient: number;
  readonly ratePerNode: number;
  readonly payloadSize: number;
  /** Default: the real Totem v3 codec; null passes values. */
  readonly codec?: WireCodec | null;
}

export interface SimBatchReport {
  readonly config: Omit<SimBatchConfig, 'codec'>;
  readonly runs: number;
  readonly violations: readonly Violation[];
  readonly membership: {
    /** Regular configurations installed, summed over nodes and runs. */
    readonly regularConfigurations: number;
    readonly ringsFormed: number;
    /** The first run's rings in formation order: ring id → members. */
    readonly firstRun: readonly { ringId: string; members: readonly number[]; atMs: number }[];
  };
  readonly token: {
    readonly hops: number;
    readonly rotations: number;
    readonly rotationMsMean: number;
    readonly rotationMsP50: number;
    readonly rotationMsP99: number;
    readonly rotationMsMax: number;
    readonly operationalTokenLosses: number;
  };
  readonly messages: {
    readonly submitted: number;
    readonly ordered: number;
    readonly orderedPerVirtualSecond: number;
    readonly orderedPerWallSecond: number;
    readonly retransmits: number;
  };
  readonly virtualSeconds: number;
  readonly wallSeconds: number;
}

export function runSimBatch(config: SimBatchConfig): SimBatchReport {
  const violations: Violation[] = [];
  let regular = 0;
  let rings = 0;
  let hops = 0;
  let rotations = 0;
  let rotWeighted = 0;
  let p50 = 0;
  let p99 = 0;
  let max = 0;
  let tokenLosses = 0;
  let submitted = 0;
  let ordered = 0;
  let retransmits = 0;
  let virtualMs = 0;
  let wallMs = 0;
  let first: SimResult | null = null;
  for (let i = 0; i < config.seeds; i++) {
    const seed = (config.seedStart + i) >>> 0;
    const r = runSimulation({
      nodes: config.nodes,
      seed,
      durationMs: config.durationMs,
      token: config.token,
      tokenCoefficient: config.tokenCoefficient,
      latencyMs: config.latencyMs,
      loss: config.loss,
      duplicate: config.duplicate,
      reorder: config.reorder,
      partitions: config.partitions,
      crashes: config.crashes,
      submitIntervalMs: config.ratePerNode > 0 ? 1000 / config.ratePerNode : 0,
      payloadSize: config.payloadSize,
      ...(config.codec !== undefined ? { codec: config.codec } : {}),
    });
    first ??= r;
    violations.push(...r.violations);
    regular += r.membership.length;
    rings += r.stats.ringsFormed;
    hops += r.stats.tokenHops;
    rotations += r.stats.rotations;
    rotWeighted += r.stats.rotationMs.mean * r.stats.rotations;
    p50 = Math.max(p50, r.stats.rotationMs.p50);
    p99 = Math.max(p99, r.stats.rotationMs.p99);
    max = Math.max(max, r.stats.rotationMs.max);
    tokenLosses += r.stats.tokenLosses;
    submitted += r.stats.submitted;
    ordered += r.stats.ordered;
    retransmits += r.stats.retransmits;
    virtualMs += r.stats.virtualMs;
    wallMs += r.stats.wallMs;
  }
  const { codec: _codec, ...plain } = config;
  void _codec;
  const firstRings = new Map<string, { ringId: string; members: readonly number[]; atMs: number }>();
  for (const m of first?.membership ?? []) {
    if (!firstRings.has(m.ringId)) firstRings.set(m.ringId, { ringId: m.ringId, members: m.members, atMs: m.atMs });
  }
  return {
    config: plain,
    runs: config.seeds,
    violations,
    membership: { regularConfigurations: regular, ringsFormed: rings, firstRun: [...firstRings.values()] },
    token: {
      hops,
      rotations,
      rotationMsMean: rotations ? rotWeighted / rotations : 0,
      rotationMsP50: p50,
      rotationMsP99: p99,
      rotationMsMax: max,
      operationalTokenLosses: tokenLosses,
    },
    messages: {
      submitted,
      ordered,
      orderedPerVirtualSecond: virtualMs ? ordered / (virtualMs / 1000) : 0,
      orderedPerWallSecond: wallMs ? ordered / (wallMs / 1000) : 0,
      retransmits,
    },
    virtualSeconds: virtualMs / 1000,
    wallSeconds: wallMs / 1000,
  };
}

export function formatSimReport(r: SimBatchReport): string {
  const c = r.config;
  const lines: string[] = [];
  lines.push(
    `sim: ${r.runs} run(s), ${c.nodes} nodes, seeds ${c.seedStart}..${c.seedStart + r.runs - 1}, loss ${(c.loss * 100).toFixed(1)}%, ` +
      `latency ${c.latencyMs} ms, token ${c.token} ms${c.partitions ? ', partitions' : ''}${c.crashes ? ', crashes' : ''}, ` +
      `${(c.durationMs / 1000).toFixed(1)} s faulty + healed phase`,
  );
  if (r.violations.length === 0) {
    lines.push('guarantees: all held (agreed order, integrity, virtual synchrony, self-delivery, ring ids grow, one ring after heal, no timer leak)');
  } else {
    lines.push(`guarantees: ${r.violations.length} violation(s)`);
    for (const v of r.violations) lines.push(`  VIOLATION seed=${v.seed} t=${v.atMs.toFixed(1)}ms ${v.kind}: ${v.text}`);
  }
  lines.push(
    `membership: ${r.membership.ringsFormed} ring(s) formed, ${r.membership.regularConfigurations} regular configuration(s) installed`,
  );
  for (const ring of r.membership.firstRun.slice(0, 20)) {
    lines.push(`  first run: t=${ring.atMs.toFixed(1)}ms ring ${ring.ringId} members ${ring.members.join(' ')}`);
  }
  if (r.membership.firstRun.length > 20) lines.push(`  … ${r.membership.firstRun.length - 20} more`);
  const t = r.token;
  lines.push(
    `token: ${t.hops} hops, ${t.rotations} rotations, rotation ms mean ${t.rotationMsMean.toFixed(2)} p50 ${t.rotationMsP50.toFixed(2)} ` +
      `p99 ${t.rotationMsP99.toFixed(2)} max ${t.rotationMsMax.toFixed(2)}, ${t.operationalTokenLosses} token loss(es) in OPERATIONAL`,
  );
  const m = r.messages;
  lines.push(
    `messages: ${m.submitted} submitted, ${m.ordered} ordered, ${m.orderedPerVirtualSecond.toFixed(1)}/s virtual, ` +
      `${m.orderedPerWallSecond.toFixed(0)}/s wall clock, ${m.retransmits} retransmitted`,
  );
  lines.push(`time: ${r.virtualSeconds.toFixed(1)} s virtual in ${r.wallSeconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}
