/**
 * Running counts of what the pipeline did with every frame: the `read --stats` table and the
 * "nothing lost silently" ledger (every frame lands in exactly one status bucket).
 */
import type { FrameStatus, Transport } from './types.ts';

const TRANSPORTS: readonly Transport[] = ['udp', 'udpu', 'knet', 'unknown'];

function transportIndex(t: Transport): number {
  switch (t) {
    case 'udp':
      return 0;
    case 'udpu':
      return 1;
    case 'knet':
      return 2;
    case 'unknown':
      return 3;
  }
}

export class PipelineStats {
  frames = 0;
  bytes = 0;
  readonly byStatus: Record<FrameStatus, number> = {
    totem: 0,
    'knet-control': 0,
    fragment: 0,
    duplicate: 0,
    ignored: 0,
    error: 0,
  };
  // Hot-path counters are indexed arrays; the maps below are built when asked for.
  private readonly transportCounts = new Float64Array(TRANSPORTS.length);
  private readonly typeCounts = new Map<string, Float64Array>();
  readonly errorsByCode = new Map<string, number>();
  readonly ignoredByReason = new Map<string, number>();

  countTransport(t: Transport): void {
    this.transportCounts[transportIndex(t)]!++;
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
    for (const [name, row] of this.typeCounts) {
      TRANSPORTS.forEach((t, i) => {
        const n = row[i]!;
        if (n > 0) m.set(`${t} ${name}`, n);
      });
    }
    return m;
  }
}
