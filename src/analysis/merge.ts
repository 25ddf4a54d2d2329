/**
 * Several captures of one incident (one per node) merged into one timeline: clock alignment from
 * frames seen in more than one capture, and cross-capture de-duplication. Pure; the file reading
 * around it is in files.ts.
 *
 * Clock alignment (docs/analyze-json.md "Several captures"): the first capture is the reference. A
 * token hop (ring, token_seq, sender) captured by two nodes is the same datagram, so its timestamp
 * difference is the clock offset plus the one-way delay (µs on a LAN). The median over all common
 * hops is the capture's offset; it is subtracted from that capture's timestamps.
 */
import type { DecodedFrame } from '../decode/types.ts';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';

/** Identity of a datagram across captures, or null for frames without a Totem message. */
export function frameKey(f: DecodedFrame): string | null {
  const m = f.totem;
  if (m === undefined) return null;
  const dst = f.endpoints?.dst ?? '';
  switch (m.kind) {
    case 'orf_token':
      return `t${m.ringId.rep}.${m.ringId.seq}/${m.tokenSeq}/${m.header.nodeid}`;
    case 'mcast':
      return `m${m.ringId.rep}.${m.ringId.seq}/${m.seq}/${m.header.nodeid}>${dst}`;
    case 'memb_commit_token':
      return `c${formatRingId(m.ringId)}/${m.tokenSeq}/${m.header.nodeid}`;
    case 'memb_join':
      return `j${m.systemFrom}/${m.header.nodeid}/${m.ringSeq}/${m.procList.join(',')}/${m.failedList.join(',')}>${dst}`;
    case 'memb_merge_detect':
      return `d${m.systemFrom}/${formatRingId(m.ringId)}>${dst}`;
    case 'token_hold_cancel':
      return `h${m.header.nodeid}/${formatRingId(m.ringId)}>${dst}`;
  }
}

function ts(f: DecodedFrame): number {
  return f.tsSec + f.tsNsec / 1e9;
}

/** Pass 1: token hops per capture (bounded sample) → median offset of each capture to the first. */
export class ClockAligner {
  private readonly reference = new Map<string, number>();
  private readonly diffs: number[][] = [];
  private readonly perCaptureLimit: number;
  private readonly pending: { capture: number; key: string; ts: number }[][] = [];

  constructor(captures: number, perCaptureLimit = 50000) {
    this.perCaptureLimit = perCaptureLimit;
    for (let i = 0; i < captures; i++) {
      this.diffs.push([]);
      this.pending.push([]);
    }
  }

  /** Feed every frame of every capture (any order of captures). */
  add(capture: number, f: DecodedFrame): void {
    const m = f.totem;
    if (m === undefined || m.kind !== 'orf_token') return;
    const key = `${m.ringId.rep}.${m.ringId.seq}/${m.tokenSeq}/${m.header.nodeid}`;
    if (capture === 0) {
      if (this.reference.size < this.perCaptureLimit * 4 && !this.reference.has(key)) this.reference.set(key, ts(f));
      return;
    }
    const p = this.pending[capture];
    if (p !== undefined && p.length < this.perCaptureLimit) p.push({ capture, key, ts: ts(f) });
  }

  /** Offset (seconds) to subtract from each capture's timestamps; 0 for the reference and unmatched. */
  offsets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.pending.length; i++) {
      if (i === 0) {
        out.push(0);
        continue;
      }
      const d: number[] = [];
      for (const p of this.pending[i] ?? []) {
        const r = this.reference.get(p.key);
        if (r !== undefined) d.push(p.ts - r);
      }
      if (d.length === 0) {
        out.push(0);
        continue;
      }
      d.sort((a, b) => a - b);
      out.push(d[Math.floor(d.length / 2)] ?? 0);
    }
    return out;
  }

  /** How many common token hops each capture had with the reference. */
  matches(): number[] {
    return this.pending.map((p, i) => (i === 0 ? 0 : p.filter((x) => this.reference.has(x.key)).length));
  }
}

/**
 * Pass 2: drops the second capture's copy of a datagram. The k-th copy of a key in one capture is
 * the k-th copy in another (a retransmitted token keeps its key, and each capture sees each copy);
 * keys expire after `windowS` seconds of capture time.
 */
export class CrossCaptureDedup {
  private readonly seen = new Map<string, { t: number; counts: number[] }>();
  private readonly windowS: number;
  private readonly maxKeys: number;
  private lastPurge = -Infinity;

  constructor(windowS = 2, maxKeys = 500000) {
    this.windowS = windowS;
    this.maxKeys = maxKeys;
  }

  isDuplicate(capture: number, f: DecodedFrame, t: number): boolean {
    const key = frameKey(f);
    if (key === null) return false;
    if (t - this.lastPurge > this.windowS || this.seen.size > this.maxKeys) this.purge(t);
    let e = this.seen.get(key);
    if (e === undefined) {
      e = { t, counts: [] };
      this.seen.set(key, e);
    }
    e.t = t;
    const mine = (e.counts[capture] ?? 0) + 1;
    e.counts[capture] = mine;
    for (let i = 0; i < e.counts.length; i++) {
      if (i !== capture && (e.counts[i] ?? 0) >= mine) return true;
    }
    return false;
  }

  private purge(now: number): void {
    this.lastPurge = now;
    for (const [k, v] of this.seen) if (now - v.t > this.windowS) this.seen.delete(k);
    if (this.seen.size > this.maxKeys) this.seen.clear();
  }
}

/**
 * A frame with its timestamp shifted by `-offsetS`. Call it while the frame's bytes are valid (in the
 * reader's callback): `endpoints` is a getter of pipeline frames, which a spread would drop, so it is
 * read here.
 */
export function shiftFrame(f: DecodedFrame, offsetS: number): DecodedFrame {
  if (offsetS === 0) return f;
  const total = f.tsSec + f.tsNsec / 1e9 - offsetS;
  const sec = Math.floor(total);
  const nsec = Math.min(999_999_999, Math.max(0, Math.round((total - sec) * 1e9)));
  const endpoints = f.endpoints;
  return {
    ...f,
    tsSec: sec,
    tsNsec: nsec,
    endpoints,
    get data(): Uint8Array {
      return f.data;
    },
  };
}
