/** The simulated network and the guarantee checks (see simulation.ts, checks.ts). */
export { runSimulation, defaultSettleMs, TOTEM_WIRE_CODEC, type SimOptions, type SimResult, type SimStats, type RingFormed, type WireCodec } from './simulation.ts';
export { checkRun, type Violation, type ViolationKind, type IncarnationRecord, type NodeEvent } from './checks.ts';
export { runSimBatch, formatSimReport, type SimBatchConfig, type SimBatchReport } from './batch.ts';
export { measureThroughput, type ThroughputResult } from './throughput.ts';
export { makeRng, forkRng, type Rng } from './rng.ts';
