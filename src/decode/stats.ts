/**
 * Running counts of what the pipeline did with every frame: the `read --stats` table and the
 * "nothing lost silently" ledger (every frame lands in exactly one status bucket).
 */
import type { FrameStatus, Transport } from './types.ts';

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
  /** Key `${transport} ${messageName}`. */
  readonly byTransportType = new Map<string, number>();
  readonly byTransport = new Map<Transport, number>();
  readonly errorsByCode = new Map<string, number>();
  readonly ignoredByReason = new Map<string, number>();

  countTransport(t: Transport): void {
    this.byTransport.set(t, (this.byTransport.get(t) ?? 0) + 1);
  }

  countType(t: Transport, name: string): void {
    const key = `${t} ${name}`;
    this.byTransportType.set(key, (this.byTransportType.get(key) ?? 0) + 1);
  }

  countError(code: string): void {
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  countIgnored(reason: string): void {
    this.ignoredByReason.set(reason, (this.ignoredByReason.get(reason) ?? 0) + 1);
  }
}
