/**
 * Stateful, I/O-free knet receive path for captures: crypto → header → (DATA) duplicate check →
 * fragment reassembly → decompression, the way a knet receiver does it (KN libknet/threads_rx.c
 * `_parse_recv_from_links`, `pckt_defrag`; host.c `_seq_num_lookup`), but with capture time passed
 * in and every drop reported instead of logged. wire-format.md §7.
 *
 * Duplicates: knet delivers a (sender, seq) once; further copies (other links, or — in a capture
 * that sees every node's traffic — the copies of a broadcast sent to the other nodes) are
 * reported as `duplicate`. Scope `receiver` keeps one delivery per receiving node instead.
 *
 * Memory is bounded like knet's: per sender at most `maxBuffersPerSender` (32) reassemblies of at
 * most 64 KiB each, and a 4096-entry ring of delivered seq numbers; at most `maxSenders` senders.
 */
import { decompress, KNET_DECOMPRESS_MAX } from '../codecs/index.ts';
import { WireError } from '../errors.ts';
import { KnetCrypto, type KnetCryptoInfo, type KnetCryptoOptions } from './crypto.ts';
import { isFragmented, type KnetData } from './data.ts';
import { KNET_MAX_PACKET_SIZE } from './header.ts';
import { parseKnetPacket } from './packet.ts';
import type { KnetPing } from './ping.ts';
import type { KnetPmtud } from './pmtud.ts';

/** Capture time: nanoseconds since the epoch, or seconds + nanoseconds. */
export type KnetTime = bigint | { readonly sec: number; readonly nsec: number };

export interface KnetMeta {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly timeNs: KnetTime;
}

export interface KnetIncomplete {
  readonly srcNode: number;
  /** Receiving node id if known from its own traffic, else `ip:<address>`. */
  readonly receiver: string;
  readonly seqNum: number;
  readonly fragNum: number;
  /** frag_seq values received (1-based). */
  readonly received: readonly number[];
  readonly missing: readonly number[];
  readonly firstTimeNs: bigint;
  readonly lastTimeNs: bigint;
  /** timeout: no fragment for `reassemblyTimeoutNs`; evicted: a 33rd reassembly needed the buffer; flush: end of input. */
  readonly reason: 'timeout' | 'evicted' | 'flush';
}

interface ResultBase {
  readonly timeNs: bigint;
  /** Link number: the PING/PONG/PMTUD link field, else from the UDP port (5405 + N). -1 when unknown. */
  readonly link: number;
  readonly crypto: KnetCryptoInfo;
  /** Reassemblies that gave up at this packet's time (bounded wait) or were evicted. */
  readonly expired: readonly KnetIncomplete[];
}

export type KnetDataStatus = 'complete' | 'fragment_pending' | 'duplicate';

export type KnetResult =
  | (ResultBase & { readonly kind: 'ping' | 'pong'; readonly ping: KnetPing })
  | (ResultBase & { readonly kind: 'pmtud' | 'pmtud_reply'; readonly pmtud: KnetPmtud })
  | (ResultBase & {
      readonly kind: 'data';
      /** Header values of this packet (its userData is this packet's fragment, possibly compressed). */
      readonly data: KnetData;
      readonly status: KnetDataStatus;
      /** The complete user message (reassembled and decompressed) when status is `complete`. */
      readonly userData?: Uint8Array;
      /** For fragment_pending: this fragment was already held (a duplicate fragment). */
      readonly duplicateFragment?: boolean;
      /** Length on the wire before decompression (complete messages only). */
      readonly compressedLength?: number;
    })
  | {
      readonly kind: 'error';
      readonly error: WireError;
      readonly timeNs: bigint;
      readonly link: number;
      readonly crypto?: KnetCryptoInfo;
      /** Set when the knet DATA header decoded but a later step (reassembly, decompression) failed. */
      readonly data?: KnetData;
      readonly expired: readonly KnetIncomplete[];
    };

export interface KnetDecoderOptions extends KnetCryptoOptions {
  /** UDP port of link 0 (totem.interface.0.mcastport; default 5405). */
  readonly basePort?: number;
  /** Port distance between links (1; 2 with `broadcast: yes`). */
  readonly portStep?: number;
  /** Give up a reassembly after this long without a new fragment (capture time). Default 2 s. */
  readonly reassemblyTimeoutNs?: bigint;
  /** A (sender, seq) seen again within this time is a duplicate. Default 10 s. */
  readonly duplicateWindowNs?: bigint;
  readonly dedupScope?: 'sender' | 'receiver';
  /** KNET_DEFRAG_BUFFERS. */
  readonly maxBuffersPerSender?: number;
  readonly maxDecompressedSize?: number;
  /** Senders whose dedup/reassembly state is kept (about 48 KiB each); oldest dropped beyond. Default 512. */
  readonly maxSenders?: number;
}

export interface KnetCounters {
  packets: number;
  decoded: number;
  data: number;
  ping: number;
  pong: number;
  pmtud: number;
  pmtudReply: number;
  /** Complete user messages delivered (after reassembly/decompression). */
  messages: number;
  duplicates: number;
  fragments: number;
  duplicateFragments: number;
  reassembled: number;
  incomplete: number;
  /** Partial copies of a message dropped because another copy completed first. */
  supersededCopies: number;
  decompressed: number;
  encrypted: number;
  cleartext: number;
  errors: number;
  errorsByCode: Record<string, number>;
}

const DEDUP_RING = 4096; // KNET_CBUFFER_SIZE
const MAX_LINKS = 8; // KNET_MAX_LINK

interface Reassembly {
  readonly key: string;
  readonly srcNode: number;
  readonly receiver: string;
  readonly seqNum: number;
  readonly fragNum: number;
  readonly compress: number;
  readonly parts: (Uint8Array | undefined)[];
  count: number;
  bytes: number;
  readonly firstUs: number;
  readonly firstNs: bigint;
  lastUs: number;
  lastNs: bigint;
}

interface SenderState {
  /** Delivered seq numbers: slot = seq % 4096 holds the seq (or -1) and its delivery time. */
  readonly ringSeq: Int32Array;
  readonly ringTimeUs: Float64Array;
  /** Receiver-scoped delivery (dedupScope `receiver`): key `${seq}/${receiver}` → time. */
  readonly perReceiver: Map<string, number>;
  /** Pending reassemblies, key `${seq}/${destination address}`. */
  readonly pending: Map<string, Reassembly>;
  untimedSeq: number;
  gotData: boolean;
}

function toNs(t: KnetTime): bigint {
  return typeof t === 'bigint' ? t : BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

export class KnetDecoder {
  readonly counters: KnetCounters = {
    packets: 0,
    decoded: 0,
    data: 0,
    ping: 0,
    pong: 0,
    pmtud: 0,
    pmtudReply: 0,
    messages: 0,
    duplicates: 0,
    fragments: 0,
    duplicateFragments: 0,
    reassembled: 0,
    incomplete: 0,
    supersededCopies: 0,
    decompressed: 0,
    encrypted: 0,
    cleartext: 0,
    errors: 0,
    errorsByCode: {},
  };
  readonly #crypto: KnetCrypto;
  readonly #basePort: number;
  readonly #portStep: number;
  readonly #timeoutUs: number;
  readonly #dupWindowUs: number;
  readonly #scope: 'sender' | 'receiver';
  readonly #maxBuffers: number;
  readonly #maxOut: number;
  readonly #senders = new Map<number, SenderState>();
  /** Learned from traffic: source address → knet node id. */
  readonly #ipToNode = new Map<string, number>();
  #pendingTotal = 0;
  /** Incomplete reassemblies of evicted senders, reported with the next result. */
  readonly #carry: KnetIncomplete[] = [];
  readonly #maxSenders: number;
  #lastSweepUs = -Infinity;
  #evictedSenders = 0;

  constructor(opts: KnetDecoderOptions = {}) {
    this.#crypto = new KnetCrypto(opts);
    this.#basePort = opts.basePort ?? 5405;
    this.#portStep = opts.portStep ?? 1;
    this.#timeoutUs = Number(opts.reassemblyTimeoutNs ?? 2_000_000_000n) / 1000;
    this.#dupWindowUs = Number(opts.duplicateWindowNs ?? 10_000_000_000n) / 1000;
    this.#scope = opts.dedupScope ?? 'sender';
    this.#maxBuffers = opts.maxBuffersPerSender ?? 32;
    this.#maxOut = opts.maxDecompressedSize ?? KNET_DECOMPRESS_MAX;
    this.#maxSenders = opts.maxSenders ?? 512;
  }

  /** Crypto configuration detected so far (never the key). */
  get cryptoDetected(): { cipher: string; hash: string; keyIndex: number } | undefined {
    return this.#crypto.detected;
  }

  /** Node id learned for an address (from packets it sent). */
  nodeOf(address: string): number | undefined {
    return this.#ipToNode.get(address);
  }

  toJSON(): object {
    return { counters: this.counters, crypto: this.#crypto.toJSON() };
  }

  linkFromPort(srcPort: number, dstPort: number): number {
    const byDst = this.#portLink(dstPort);
    return byDst >= 0 ? byDst : this.#portLink(srcPort);
  }

  #portLink(port: number): number {
    const d = port - this.#basePort;
    return d >= 0 && d % this.#portStep === 0 && d / this.#portStep < MAX_LINKS ? d / this.#portStep : -1;
  }

  decode(udpPayload: Uint8Array, meta: KnetMeta): KnetResult {
    const c = this.counters;
    c.packets++;
    const timeNs = toNs(meta.timeNs);
    // Microseconds as a double: sub-µs rounding is irrelevant for windows of 100 ms and more.
    const nowUs = Number(timeNs) / 1000;
    const expired = this.#sweep(nowUs);
    if (this.#carry.length > 0) {
      expired.push(...this.#carry);
      this.#carry.length = 0;
    }
    const portLink = this.linkFromPort(meta.srcPort, meta.dstPort);

    const opened = this.#crypto.open(udpPayload);
    if (opened instanceof WireError) return this.#error(opened, timeNs, portLink, expired);
    const crypto = opened.crypto;
    if (crypto.keyIndex >= 0) c.encrypted++;
    else c.cleartext++;

    const packet = parseKnetPacket(opened.packet);
    if (packet instanceof WireError) return this.#error(packet, timeNs, portLink, expired, crypto);
    c.decoded++;

    switch (packet.kind) {
      case 'ping':
      case 'pong': {
        const p = packet.ping;
        this.#ipToNode.set(meta.src, p.header.node);
        if (packet.kind === 'ping') {
          c.ping++;
          this.#onPing(p);
        } else c.pong++;
        return { kind: packet.kind, ping: p, timeNs, link: p.link, crypto, expired };
      }
      case 'pmtud':
      case 'pmtud_reply': {
        const p = packet.pmtud;
        this.#ipToNode.set(meta.src, p.header.node);
        if (packet.kind === 'pmtud') c.pmtud++;
        else c.pmtudReply++;
        return { kind: packet.kind, pmtud: p, timeNs, link: p.link, crypto, expired };
      }
      case 'data':
        c.data++;
        this.#ipToNode.set(meta.src, packet.data.header.node);
        return this.#onData(packet.data, meta, timeNs, nowUs, portLink, crypto, expired);
    }
  }

  /**
   * Optional batch fast path: the UDP payloads that the next decode() calls will get (the same
   * objects, in the same order, bytes unchanged until decoded). Their HMACs are then verified four
   * at a time and their AES-CBC done in one native call (KnetCrypto.prepare). Results are identical
   * with or without it; a decode() of any other payload just drops the rest of the batch.
   */
  prefetch(udpPayloads: readonly Uint8Array[]): void {
    this.#crypto.prepare(udpPayloads);
  }

  /** Senders whose state was dropped to stay within `maxSenders` (0 in any real cluster). */
  get evictedSenders(): number {
    return this.#evictedSenders;
  }

  /**
   * The state that can still change how packets from time `nowNs` on decode, as a string, or
   * undefined when it cannot be summed up (an eviction report in flight, receiver-scoped dedup). Delivered seqs older than the duplicate window are left out: with capture time not
   * going backwards they can never match again. Two decoders with equal states decode every later
   * packet alike, provided neither evicts a sender (see `evictedSenders`); src/read/shards.ts uses
   * this to accept a capture decoded in shards only when it equals one pass.
   */
  boundaryState(nowNs: bigint): string | undefined {
    if (this.#carry.length > 0 || this.#scope !== 'sender') return undefined;
    const nowUs = Number(nowNs) / 1000;
    const parts = [this.#crypto.boundaryState()];
    // A sweep within the last 100 ms would delay the next one; an older one does not matter.
    parts.push(nowUs - this.#lastSweepUs < 100_000 ? `sweep ${this.#lastSweepUs}` : 'sweep old');
    parts.push([...this.#ipToNode].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([ip, n]) => `${ip}=${n}`).join(','));
    for (const node of [...this.#senders.keys()].sort((a, b) => a - b)) {
      const st = this.#senders.get(node)!;
      const live: string[] = [];
      for (let slot = 0; slot < DEDUP_RING; slot++) {
        const seq = st.ringSeq[slot]!;
        if (seq >= 0 && nowUs - st.ringTimeUs[slot]! <= this.#dupWindowUs) live.push(`${seq}@${st.ringTimeUs[slot]}`);
      }
      parts.push(`node ${node} ${st.untimedSeq} ${st.gotData ? 1 : 0} ${live.join(' ')}`);
      // Reassemblies in progress, in the order they began (eviction breaks ties by it), with a
      // checksum of the fragments held.
      for (const r of st.pending.values()) {
        let sum = 0x811c9dc5;
        const held: number[] = [];
        r.parts.forEach((part, i) => {
          if (part === undefined) return;
          held.push(i);
          for (let j = 0; j < part.length; j++) sum = Math.imul(sum ^ part[j]!, 0x01000193);
        });
        parts.push(`  pending ${r.key} ${r.receiver} ${r.fragNum} ${r.compress} ${held.join(',')} ${r.count} ${r.bytes} ${r.firstNs} ${r.lastNs} ${sum >>> 0}`);
      }
    }
    return parts.join('\n');
  }

  /** Ends the input: every reassembly still open is reported as incomplete. */
  flush(): KnetIncomplete[] {
    // Evicted ones not yet handed out were counted when evicted.
    const out: KnetIncomplete[] = this.#carry.splice(0);
    for (const s of this.#senders.values()) {
      for (const r of s.pending.values()) out.push(this.#incomplete(r, 'flush'));
      this.counters.incomplete += s.pending.size;
      s.pending.clear();
    }
    this.#pendingTotal = 0;
    return out;
  }

  #error(error: WireError, timeNs: bigint, link: number, expired: readonly KnetIncomplete[], crypto?: KnetCryptoInfo, data?: KnetData): KnetResult {
    const c = this.counters;
    c.errors++;
    c.errorsByCode[error.code] = (c.errorsByCode[error.code] ?? 0) + 1;
    const r: { kind: 'error'; error: WireError; timeNs: bigint; link: number; expired: readonly KnetIncomplete[]; crypto?: KnetCryptoInfo; data?: KnetData } = {
      kind: 'error',
      error,
      timeNs,
      link,
      expired,
    };
    if (crypto) r.crypto = crypto;
    if (data) r.data = data;
    return r;
  }

  #sender(node: number): SenderState {
    let s = this.#senders.get(node);
    if (!s) {
      if (this.#senders.size >= this.#maxSenders) {
        // Bounded: a capture (or garbage) naming ever new node ids drops the oldest sender's state.
        const [oldestNode, oldest] = this.#senders.entries().next().value as [number, SenderState];
        this.#evictedSenders++;
        for (const r of oldest.pending.values()) this.#carry.push(this.#incomplete(r, 'evicted'));
        this.counters.incomplete += oldest.pending.size;
        this.#pendingTotal -= oldest.pending.size;
        this.#senders.delete(oldestNode);
      }
      s = {
        ringSeq: new Int32Array(DEDUP_RING).fill(-1),
        ringTimeUs: new Float64Array(DEDUP_RING),
        perReceiver: new Map(),
        pending: new Map(),
        untimedSeq: -1,
        gotData: false,
      };
      this.#senders.set(node, s);
    }
    return s;
  }

  /** knet wipes its dedup buffers when a peer looks restarted (threads_rx.c, PING case). */
  #onPing(p: KnetPing): void {
    const s = this.#sender(p.header.node);
    let wipe = false;
    if (!p.timed) {
      if (p.seqNum !== s.untimedSeq) {
        s.untimedSeq = p.seqNum;
        if (s.gotData) s.gotData = false;
        else wipe = true;
      }
    } else if (p.seqNum === 0) {
      wipe = true;
    }
    if (wipe) {
      s.ringSeq.fill(-1);
      s.perReceiver.clear();
    }
  }

  #receiverOf(meta: KnetMeta): string {
    const node = this.#ipToNode.get(meta.dst);
    return node === undefined ? `ip:${meta.dst}` : String(node);
  }

  #isDelivered(s: SenderState, seq: number, receiver: string, nowUs: number): boolean {
    if (this.#scope === 'receiver') {
      const t = s.perReceiver.get(`${seq}/${receiver}`);
      return t !== undefined && nowUs - t <= this.#dupWindowUs;
    }
    const slot = seq % DEDUP_RING;
    return s.ringSeq[slot] === seq && nowUs - s.ringTimeUs[slot]! <= this.#dupWindowUs;
  }

  #markDelivered(s: SenderState, seq: number, receiver: string, nowUs: number): void {
    if (this.#scope === 'receiver') {
      s.perReceiver.set(`${seq}/${receiver}`, nowUs);
      if (s.perReceiver.size > DEDUP_RING * 4) {
        // Bounded: drop the oldest quarter (Map keeps insertion order).
        let n = DEDUP_RING;
        for (const k of s.perReceiver.keys()) {
          if (n-- <= 0) break;
          s.perReceiver.delete(k);
        }
      }
      return;
    }
    const slot = seq % DEDUP_RING;
    s.ringSeq[slot] = seq;
    s.ringTimeUs[slot] = nowUs;
  }

  #onData(
    d: KnetData,
    meta: KnetMeta,
    timeNs: bigint,
    nowUs: number,
    link: number,
    crypto: KnetCryptoInfo,
    expired: KnetIncomplete[],
  ): KnetResult {
    const c = this.counters;
    const s = this.#sender(d.header.node);
    if (this.#carry.length > 0) expired.push(...this.#carry.splice(0));
    s.gotData = true;
    // The receiving node only matters for receiver-scoped dedup and for incomplete reports.
    const receiver = this.#scope === 'receiver' || isFragmented(d) ? this.#receiverOf(meta) : '';
    // One literal shape for every data result (fast property access downstream).
    const result = (status: KnetDataStatus, userData?: Uint8Array, duplicateFragment?: boolean, compressedLength?: number): KnetResult => {
      const r: {
        kind: 'data';
        data: KnetData;
        timeNs: bigint;
        link: number;
        crypto: KnetCryptoInfo;
        expired: readonly KnetIncomplete[];
        status: KnetDataStatus;
        userData?: Uint8Array;
        duplicateFragment?: boolean;
        compressedLength?: number;
      } = { kind: 'data', data: d, timeNs, link, crypto, expired, status };
      if (userData !== undefined) r.userData = userData;
      if (duplicateFragment !== undefined) r.duplicateFragment = duplicateFragment;
      if (compressedLength !== undefined) r.compressedLength = compressedLength;
      return r;
    };
    if (this.#isDelivered(s, d.seqNum, receiver, nowUs)) {
      c.duplicates++;
      if (isFragmented(d)) c.fragments++;
      return result('duplicate');
    }

    let payload: Uint8Array = d.userData;
    if (isFragmented(d)) {
      c.fragments++;
      // Per link address, not per node: knet's active policy sends every fragment on every link.
      const key = `${d.seqNum}/${meta.dst}`;
      let r = s.pending.get(key);
      if (r && (r.fragNum !== d.fragNum || r.compress !== d.compress)) {
        return this.#error(
          new WireError('knet.bad_frag', 11, `fragment ${d.fragSeq}/${d.fragNum} does not match the ${r.fragNum} fragments already held for seq ${d.seqNum}`),
          timeNs,
          link,
          expired,
          crypto,
          d,
        );
      }
      if (!r) {
        if (s.pending.size >= this.#maxBuffers) {
          // knet reclaims the least recently updated buffer.
          let oldest: Reassembly | undefined;
          for (const p of s.pending.values()) if (!oldest || p.lastUs < oldest.lastUs) oldest = p;
          if (oldest) {
            s.pending.delete(oldest.key);
            this.#pendingTotal--;
            c.incomplete++;
            expired.push(this.#incomplete(oldest, 'evicted'));
          }
        }
        r = {
          key,
          srcNode: d.header.node,
          receiver,
          seqNum: d.seqNum,
          fragNum: d.fragNum,
          compress: d.compress,
          parts: new Array<Uint8Array | undefined>(d.fragNum + 1),
          count: 0,
          bytes: 0,
          firstUs: nowUs,
          firstNs: timeNs,
          lastUs: nowUs,
          lastNs: timeNs,
        };
        s.pending.set(key, r);
        this.#pendingTotal++;
      }
      r.lastUs = nowUs;
      r.lastNs = timeNs;
      if (r.parts[d.fragSeq] !== undefined) {
        c.duplicateFragments++;
        return result('fragment_pending', undefined, true);
      }
      if (r.bytes + d.userData.length > KNET_MAX_PACKET_SIZE) {
        s.pending.delete(key);
        this.#pendingTotal--;
        return this.#error(
          new WireError('knet.frag_too_large', 14, `fragments of seq ${d.seqNum} exceed ${KNET_MAX_PACKET_SIZE} bytes`),
          timeNs,
          link,
          expired,
          crypto,
          d,
        );
      }
      // Copy: the caller's buffer may be reused before the last fragment arrives.
      r.parts[d.fragSeq] = d.userData.slice();
      r.bytes += d.userData.length;
      r.count++;
      if (r.count < r.fragNum) return result('fragment_pending');

      payload = new Uint8Array(r.bytes);
      let at = 0;
      for (let i = 1; i <= r.fragNum; i++) {
        const part = r.parts[i]!;
        payload.set(part, at);
        at += part.length;
      }
      s.pending.delete(key);
      this.#pendingTotal--;
      c.reassembled++;
      if (this.#scope === 'sender') {
        // Other receivers' partial copies of the same message are now redundant.
        const suffix = `${d.seqNum}/`;
        for (const [k, other] of s.pending) {
          if (k.startsWith(suffix) && other.seqNum === d.seqNum) {
            s.pending.delete(k);
            this.#pendingTotal--;
            c.supersededCopies++;
          }
        }
      }
    }

    const wireLength = payload.length;
    if (d.compress !== 0) {
      const out = decompress(d.compress, payload, this.#maxOut);
      if (out instanceof WireError) {
        this.#markDelivered(s, d.seqNum, receiver, nowUs); // knet drops it; copies would fail the same way
        return this.#error(out, timeNs, link, expired, crypto, d);
      }
      c.decompressed++;
      payload = out;
    }
    this.#markDelivered(s, d.seqNum, receiver, nowUs);
    c.messages++;
    return result('complete', payload, undefined, d.compress !== 0 ? wireLength : undefined);
  }

  #incomplete(r: Reassembly, reason: KnetIncomplete['reason']): KnetIncomplete {
    const received: number[] = [];
    const missing: number[] = [];
    for (let i = 1; i <= r.fragNum; i++) (r.parts[i] ? received : missing).push(i);
    return {
      srcNode: r.srcNode,
      receiver: r.receiver,
      seqNum: r.seqNum,
      fragNum: r.fragNum,
      received,
      missing,
      firstTimeNs: r.firstNs,
      lastTimeNs: r.lastNs,
      reason,
    };
  }

  /** Reports reassemblies idle for longer than the timeout; runs at most every 100 ms of capture time. */
  #sweep(nowUs: number): KnetIncomplete[] {
    if (this.#pendingTotal === 0 || nowUs - this.#lastSweepUs < 100_000) return [];
    const out: KnetIncomplete[] = [];
    this.#lastSweepUs = nowUs;
    for (const s of this.#senders.values()) {
      for (const [k, r] of s.pending) {
        if (nowUs - r.lastUs > this.#timeoutUs) {
          s.pending.delete(k);
          this.#pendingTotal--;
          out.push(this.#incomplete(r, 'timeout'));
        }
      }
    }
    this.counters.incomplete += out.length;
    return out;
  }
}

