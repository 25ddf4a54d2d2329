/**
 * IP fragment reassembly for IPv4 and IPv6, RFC 815 style: each datagram keeps a sorted list of
 * holes (missing byte ranges) that every fragment cuts down; the datagram is complete when no hole
 * is left and the last fragment (MF = 0) fixed its length.
 *
 * Bounded on every axis: datagrams in flight, bytes per datagram, bytes buffered in all, fragments
 * per datagram, and age measured in *capture time* (the caller passes each frame's timestamp; no
 * clocks here). What does not complete is kept (bounded) as an `IncompleteDatagram` report with the
 * frames it came from and the byte ranges still missing.
 *
 * Overlaps are accepted only when the overlapping bytes are identical (a duplicate fragment, e.g.
 * seen twice on `-i any`); different bytes (RFC 5722's attack case) or a conflicting end are
 * errors, and the datagram is dropped.
 */
import { WireError } from '../errors.ts';
import { formatIpv4 } from './ipv4.ts';
import { formatIpv6 } from './ipv6.ts';

export interface ReassemblyOptions {
  /** Datagrams in flight at once (default 1024); the oldest is evicted beyond. */
  readonly maxDatagrams?: number;
  /** Largest reassembled payload in bytes (default 65535). */
  readonly maxDatagramSize?: number;
  /** Bytes buffered over all datagrams (default 16 MiB); the oldest are evicted beyond. */
  readonly maxBufferedBytes?: number;
  /** Capture-time seconds after the first fragment before a datagram is given up (default 30, Linux ipfrag_time). */
  readonly timeoutSec?: number;
  /** Fragments per datagram (default 8192 = 65536 / 8). */
  readonly maxFragments?: number;
  /** Incomplete-datagram reports kept until taken (default 1024); more are only counted. */
  readonly maxIncompleteKept?: number;
}

export type ReassemblyErrorCode = 'ip.reassembly_overlap' | 'ip.reassembly_inconsistent' | 'ip.reassembly_too_large' | 'ip.reassembly_too_many_fragments';

export interface FragmentInput {
  readonly ipVersion: 4 | 6;
  /** Raw addresses; copied when a datagram is first seen. */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly id: number;
  /** IPv4: protocol; IPv6: the Fragment header's next header. */
  readonly proto: number;
  /** Byte offset of this fragment in the datagram payload. */
  readonly offset: number;
  readonly more: boolean;
  /** Fragment bytes; copied. */
  readonly data: Uint8Array;
  readonly frame: number;
  readonly tsSec: number;
  readonly ttl: number;
}

export interface Reassembled {
  readonly ipVersion: 4 | 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly id: number;
  /** From the fragment at offset 0. */
  readonly proto: number;
  readonly ttl: number;
  /** The reassembled IP payload (owned by the caller). */
  readonly payload: Uint8Array;
  /** Frame numbers of the fragments, in arrival order. */
  readonly frames: readonly number[];
}

export interface MissingRange {
  readonly start: number;
  /** Exclusive; absent when the datagram's length is unknown (its last fragment never came). */
  readonly end?: number;
}

export type IncompleteReason = 'timeout' | 'evicted' | 'error' | 'end of capture';

export interface IncompleteDatagram {
  readonly ipVersion: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly id: number;
  readonly frames: readonly number[];
  readonly receivedBytes: number;
  /** Known once the last fragment arrived. */
  readonly totalLength?: number;
  readonly missing: readonly MissingRange[];
  readonly reason: IncompleteReason;
  /** Capture time of the first fragment. */
  readonly firstTsSec: number;
}

interface Hole {
  start: number;
  end: number; // exclusive; Infinity while the total is unknown
}

interface Entry {
  readonly ipVersion: 4 | 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly id: number;
  readonly firstTs: number;
  readonly frames: number[];
  buf: Uint8Array;
  holes: Hole[];
  total: number; // -1 unknown
  maxEnd: number;
  received: number;
  proto: number;
  ttl: number;
}

export class Reassembler {
  private readonly maxDatagrams: number;
  private readonly maxDatagramSize: number;
  private readonly maxBufferedBytes: number;
  private readonly timeoutSec: number;
  private readonly maxFragments: number;
  private readonly maxIncompleteKept: number;
  private readonly table = new Map<string, Entry>();
  private buffered = 0;
  private incomplete: IncompleteDatagram[] = [];
  /** Incomplete datagrams not kept because the report list was full. */
  incompleteDropped = 0;

  constructor(opts: ReassemblyOptions = {}) {
    this.maxDatagrams = opts.maxDatagrams ?? 1024;
    this.maxDatagramSize = opts.maxDatagramSize ?? 65535;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.timeoutSec = opts.timeoutSec ?? 30;
    this.maxFragments = opts.maxFragments ?? 8192;
    this.maxIncompleteKept = opts.maxIncompleteKept ?? 1024;
  }

  /** Datagrams in flight. */
  get size(): number {
    return this.table.size;
  }
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Gives up datagrams whose first fragment is older than the timeout at capture time `now`. */
  expire(now: number): void {
    if (this.table.size === 0) return;
    for (const [key, e] of this.table) {
      if (now - e.firstTs <= this.timeoutSec) break; // insertion order ~ first-fragment order
      this.drop(key, e, 'timeout');
    }
  }

  /**
   * Adds one fragment. Returns the reassembled datagram when this fragment completes it, undefined
   * while it is held, or a WireError (offset `errOffset`) when it conflicts (the datagram is dropped).
   */
  add(f: FragmentInput, errOffset: number): Reassembled | WireError<ReassemblyErrorCode> | undefined {
    const start = f.offset;
    const end = start + f.data.length;
    if (end > this.maxDatagramSize) {
      return new WireError('ip.reassembly_too_large', errOffset, `fragment ends at byte ${end}, beyond the ${this.maxDatagramSize}-byte datagram limit`);
    }
    const key = fragmentKey(f);
    let e = this.table.get(key);
    if (e === undefined) {
      while (this.table.size >= this.maxDatagrams) this.evictOldest();
      e = {
        ipVersion: f.ipVersion,
        src: f.src.slice(),
        dst: f.dst.slice(),
        id: f.id,
        firstTs: f.tsSec,
        frames: [],
        buf: new Uint8Array(0),
        holes: [{ start: 0, end: Infinity }],
        total: -1,
        maxEnd: 0,
        received: 0,
        proto: -1,
        ttl: f.ttl,
      };
      this.table.set(key, e);
    }
    e.frames.push(f.frame);
    if (e.frames.length > this.maxFragments) {
      this.drop(key, e, 'error');
      return new WireError('ip.reassembly_too_many_fragments', errOffset, `more than ${this.maxFragments} fragments for one datagram`);
    }
    if (!f.more) {
      if ((e.total >= 0 && e.total !== end) || e.maxEnd > end) {
        this.drop(key, e, 'error');
        return new WireError(
          'ip.reassembly_inconsistent',
          errOffset,
          `last fragment ends the datagram at byte ${end} but ${e.total >= 0 ? `an earlier last fragment ended it at ${e.total}` : `bytes up to ${e.maxEnd} were already received`}`,
        );
      }
    } else if (e.total >= 0 && end > e.total) {
      this.drop(key, e, 'error');
      return new WireError('ip.reassembly_inconsistent', errOffset, `fragment ends at byte ${end}, past the datagram end ${e.total} set by its last fragment`);
    }
    // Bytes of [start, end) already received must be identical.
    let cursor = start;
    for (const h of e.holes) {
      if (h.end <= cursor) continue;
      if (h.start >= end) break;
      if (cursor < h.start && !sameBytes(e.buf, cursor, f.data, cursor - start, h.start - cursor)) return this.overlap(key, e, start, end, errOffset);
      cursor = Math.max(cursor, h.end);
    }
    if (cursor < end && !sameBytes(e.buf, cursor, f.data, cursor - start, end - cursor)) return this.overlap(key, e, start, end, errOffset);

    if (e.buf.length < end) {
      const size = Math.min(Math.max(end, e.buf.length * 2), this.maxDatagramSize);
      const next = new Uint8Array(size);
      next.set(e.buf.subarray(0, e.maxEnd));
      this.buffered += size - e.buf.length;
      e.buf = next;
    }
    e.buf.set(f.data, start);
    if (!f.more) e.total = end;
    const holes: Hole[] = [];
    for (const h of e.holes) {
      if (h.end <= start || h.start >= end) {
        pushHole(holes, h.start, h.end, e.total);
        continue;
      }
      if (h.start < start) pushHole(holes, h.start, start, e.total);
      if (h.end > end) pushHole(holes, end, h.end, e.total);
    }
    e.holes = holes;
    if (end > e.maxEnd) e.maxEnd = end;
    e.received += f.data.length;
    if (start === 0) {
      e.proto = f.proto;
      e.ttl = f.ttl;
    }
    if (e.total >= 0 && holes.length === 0) {
      this.table.delete(key);
      this.buffered -= e.buf.length;
      return { ipVersion: e.ipVersion, src: e.src, dst: e.dst, id: e.id, proto: e.proto, ttl: e.ttl, payload: e.buf.subarray(0, e.total), frames: e.frames };
    }
    while (this.buffered > this.maxBufferedBytes && this.table.size > 1) this.evictOldest();
    return undefined;
  }

  /** Reports of datagrams given up so far (timeout, eviction, error); clears the list. */
  takeIncomplete(): IncompleteDatagram[] {
    const out = this.incomplete;
    this.incomplete = [];
    return out;
  }

  /** End of input: every datagram still in flight is reported too; the table is emptied. */
  flush(): IncompleteDatagram[] {
    for (const [key, e] of this.table) this.drop(key, e, 'end of capture', true);
    return this.takeIncomplete();
  }

  private overlap(key: string, e: Entry, start: number, end: number, errOffset: number): WireError<ReassemblyErrorCode> {
    this.drop(key, e, 'error');
    return new WireError('ip.reassembly_overlap', errOffset, `fragment [${start}, ${end}) overlaps bytes already received with different content`);
  }

  private evictOldest(): void {
    const first = this.table.entries().next();
    if (!first.done) this.drop(first.value[0], first.value[1], 'evicted');
  }

  private drop(key: string, e: Entry, reason: IncompleteReason, unbounded = false): void {
    this.table.delete(key);
    this.buffered -= e.buf.length;
    if (!unbounded && this.incomplete.length >= this.maxIncompleteKept) {
      this.incompleteDropped++;
      return;
    }
    const missing: MissingRange[] = e.holes.map((h) => (h.end === Infinity ? { start: h.start } : { start: h.start, end: h.end }));
    const report: { -readonly [K in keyof IncompleteDatagram]: IncompleteDatagram[K] } = {
      ipVersion: e.ipVersion,
      src: e.ipVersion === 4 ? formatIpv4(e.src) : formatIpv6(e.src),
      dst: e.ipVersion === 4 ? formatIpv4(e.dst) : formatIpv6(e.dst),
      id: e.id,
      frames: e.frames,
      receivedBytes: e.received,
      missing,
      reason,
      firstTsSec: e.firstTs,
    };
    if (e.total >= 0) report.totalLength = e.total;
    this.incomplete.push(report);
  }
}

function pushHole(holes: Hole[], start: number, end: number, total: number): void {
  if (total >= 0) {
    if (start >= total) return;
    if (end > total) end = total;
  }
  if (end > start) holes.push({ start, end });
}

function sameBytes(buf: Uint8Array, at: number, data: Uint8Array, from: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[at + i] !== data[from + i]) return false;
  return true;
}

/** IPv4: (src, dst, protocol, id) — RFC 791; IPv6: (src, dst, id) — RFC 8200 §4.5. */
function fragmentKey(f: FragmentInput): string {
  let k = f.ipVersion === 4 ? `4:${f.proto}:${f.id}:` : `6:${f.id}:`;
  for (let i = 0; i < f.src.length; i++) k += String.fromCharCode(f.src[i]!);
  k += '>';
  for (let i = 0; i < f.dst.length; i++) k += String.fromCharCode(f.dst[i]!);
  return k;
}
