/**
 * Running counts of what the pipeline did with every frame: the `read --stats` table and the
 * "nothing lost silently" ledger (every frame lands in exactly one status bucket).
 */
import { TRANSPORTS, type FrameStatus, type Transport, type TransportCode } from './types.ts';

/** A transport's number: its index in TRANSPORTS. */
function transportIndex(t: Transport): TransportCode {
  return TRANSPORTS.indexOf(t) as TransportCode;
}

const STATUSES: readonly FrameStatus[] = ['totem', 'knet-control', 'fragment', 'duplicate', 'ignored', 'error'];

function statusIndex(s: FrameStatus): number {
  switch (s) {
    case 'totem':
      return 0;
    case 'knet-control':
      return 1;
    case 'fragment':
      return 2;
    case 'duplicate':
      return 3;
    case 'ignored':
      return 4;
    case 'error':
      return 5;
  }
}

/** Message type names by totemsrp type number, the hot path's most frequent key. */
const TOTEM_TYPE_NAMES = ['orf_token', 'mcast', 'memb_merge_detect', 'memb_join', 'memb_commit_token', 'token_hold_cancel'] as const;

/** Every counter of a `PipelineStats` as plain data (structured-clone safe): what a worker sends back. */
export interface PipelineStatsSnapshot {
  readonly frames: number;
  readonly bytes: number;
  readonly statusCounts: readonly number[];
  readonly totemTypeCounts: readonly number[];
  readonly transportCounts: readonly number[];
  readonly typeCounts: ReadonlyArray<readonly [string, readonly number[]]>;
  readonly errorsByCode: ReadonlyArray<readonly [string, number]>;
  readonly ignoredByReason: ReadonlyArray<readonly [string, number]>;
}

export class PipelineStats {
  frames = 0;
  bytes = 0;
  private readonly statusCounts = new Float64Array(STATUSES.length);
  /** [transport][totem type] counts, folded into byTransportType when read. */
  private readonly totemTypeCounts = new Float64Array(4 * TOTEM_TYPE_NAMES.length);

  countStatus(s: FrameStatus): void {
    this.statusCounts[statusIndex(s)]!++;
  }

  /** Frames by status (every frame lands in exactly one). */
  get byStatus(): Record<FrameStatus, number> {
    const o = {} as Record<FrameStatus, number>;
    STATUSES.forEach((s, i) => (o[s] = this.statusCounts[i]!));
    return o;
  }

  countTotemType(t: Transport, type: number): void {
    this.countTotemTypeCode(transportIndex(t), type);
  }

  /** countTotemType by transport number (the hot path's form). */
  countTotemTypeCode(t: TransportCode, type: number): void {
    this.totemTypeCounts[t * TOTEM_TYPE_NAMES.length + type]!++;
  }
  // Hot-path counters are indexed arrays; the maps below are built when asked for.
  private readonly transportCounts = new Float64Array(TRANSPORTS.length);
  private readonly typeCounts = new Map<string, Float64Array>();
  readonly errorsByCode = new Map<string, number>();
  readonly ignoredByReason = new Map<string, number>();

  countTransport(t: Transport): void {
    this.transportCounts[transportIndex(t)]!++;
  }

  countTransportCode(t: TransportCode): void {
    this.transportCounts[t]!++;
  }

  /** `name` is the message kind (orf_token, mcast, knet ping, ...). */
  countType(t: Transport, name: string): void {
    let row = this.typeCounts.get(name);
    if (row === undefined) {
      row = new Float64Array(TRANSPORTS.length);
      this.typeCounts.set(name, row);
    }
    row[transportIndex(t)]!++;
  }

  countError(code: string): void {
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  countIgnored(reason: string): void {
    this.ignoredByReason.set(reason, (this.ignoredByReason.get(reason) ?? 0) + 1);
  }

  get byTransport(): Map<Transport, number> {
    const m = new Map<Transport, number>();
    TRANSPORTS.forEach((t, i) => {
      const n = this.transportCounts[i]!;
      if (n > 0) m.set(t, n);
    });
    return m;
  }

  /** Key `${transport} ${messageName}`. */
  get byTransportType(): Map<string, number> {
    const m = new Map<string, number>();
    TRANSPORTS.forEach((t, ti) => {
      TOTEM_TYPE_NAMES.forEach((name, i) => {
        const n = this.totemTypeCounts[ti * TOTEM_TYPE_NAMES.length + i]!;
        if (n > 0) m.set(`${t} ${name}`, n);
      });
    });
    for (const [name, row] of this.typeCounts) {
      TRANSPORTS.forEach((t, i) => {
        const n = row[i]!;
        if (n > 0) m.set(`${t} ${name}`, n);
      });
    }
    return m;
  }

  snapshot(): PipelineStatsSnapshot {
    return {
      frames: this.frames,
      bytes: this.bytes,
      statusCounts: [...this.statusCounts],
      totemTypeCounts: [...this.totemTypeCounts],
      transportCounts: [...this.transportCounts],
      typeCounts: [...this.typeCounts].map(([k, row]) => [k, [...row]] as const),
      errorsByCode: [...this.errorsByCode],
      ignoredByReason: [...this.ignoredByReason],
    };
  }

  /**
   * Adds another run's counts. Adding the shards of a file in file order gives the same figures,
   * and the same first-seen key order, as one pass over the whole file.
   */
  add(s: PipelineStatsSnapshot): void {
    this.frames += s.frames;
    this.bytes += s.bytes;
    addInto(this.statusCounts, s.statusCounts);
    addInto(this.totemTypeCounts, s.totemTypeCounts);
    addInto(this.transportCounts, s.transportCounts);
    for (const [name, row] of s.typeCounts) {
      let mine = this.typeCounts.get(name);
      if (mine === undefined) {
        mine = new Float64Array(TRANSPORTS.length);
        this.typeCounts.set(name, mine);
      }
      addInto(mine, row);
    }
    for (const [code, n] of s.errorsByCode) this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + n);
    for (const [reason, n] of s.ignoredByReason) this.ignoredByReason.set(reason, (this.ignoredByReason.get(reason) ?? 0) + n);
  }
}

function addInto(target: Float64Array, more: readonly number[]): void {
  for (let i = 0; i < target.length; i++) target[i]! += more[i] ?? 0;
}
