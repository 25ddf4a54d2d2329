/**
 * The frame pipeline: capture record → link → IP (with reassembly) → UDP → transport → totemsrp.
 *
 * One synchronous `decode(record)` per frame, the same for files and live sources. It keeps only
 * the reassembly state of the layers below (bounded there) and the running `stats`.
 * Hot path: one object per frame of a single shape, endpoints formatted only when read.
 */
import { isInFrame, NetDecoder, type UdpDatagram } from '../../dissectors/net.ts';
import type { CaptureRecord } from '../../dissectors/capture/index.ts';
import { WireError } from '../../dissectors/errors.ts';
import { checkTotem, decodeTotem } from '../../dissectors/totemsrp/index.ts';
import type { TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { KnetDecoder, type KnetCryptoOptions, type KnetResult } from '../../dissectors/knet/index.ts';
import { DEFAULT_COROSYNC_PORTS, isCorosyncPort, transportCodeAt, type PortRange } from './ports.ts';
import { PipelineStats } from './stats.ts';
import { TRANSPORT_KNET, TRANSPORT_UNKNOWN, TRANSPORTS, type DecodedFrame, type FrameEndpoints, type FrameStatus, type Transport } from './types.ts';

export interface PipelineOptions {
  /** UDP ports that carry corosync traffic (either side), default 5404-5412. */
  readonly ports?: PortRange;
  /** knet authkeys (tried in order) and, when known from corosync.conf, the cipher and hash. */
  readonly knet?: KnetCryptoOptions;
}

/** decodeBatch() sub-batch size (measured: 64-1024 alike, a whole chunk ~15% slower). */
const BATCH = 256;

class Frame implements DecodedFrame {
  readonly number: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly capLen: number;
  readonly origLen: number;
  readonly linkType: number;
  status: FrameStatus = 'ignored';
  transport: Transport | undefined = undefined;
  totem: TotemMessage | undefined = undefined;
  error: WireError | undefined = undefined;
  ignoredReason: string | undefined = undefined;
  udp: UdpDatagram | undefined = undefined;
  knet: KnetResult | undefined = undefined;
  private endpointsCache: FrameEndpoints | undefined = undefined;

  constructor(readonly record: CaptureRecord) {
    this.number = record.number;
    this.tsSec = record.tsSec;
    this.tsNsec = record.tsNsec;
    this.capLen = record.capLen ?? record.data.length;
    this.origLen = record.origLen;
    this.linkType = record.linkType;
  }

  /** The captured bytes (made on first access by the reader). */
  get data(): Uint8Array {
    return this.record.data;
  }

  get endpoints(): FrameEndpoints | undefined {
    const d = this.udp;
    if (d === undefined) return undefined;
    this.endpointsCache ??= { ipVersion: d.ipVersion, src: d.srcText, dst: d.dstText, srcPort: d.srcPort, dstPort: d.dstPort };
    return this.endpointsCache;
  }
}

export class FramePipeline {
  #stats = new PipelineStats();
  private readonly net = new NetDecoder();
  private readonly ports: PortRange;
  private readonly knetOptions: KnetCryptoOptions;
  private knetDecoder: KnetDecoder | undefined;

  constructor(opts: PipelineOptions = {}) {
    this.ports = opts.ports ?? DEFAULT_COROSYNC_PORTS;
    this.knetOptions = opts.knet ?? {};
  }

  get stats(): PipelineStats {
    return this.#stats;
  }

  /** Starts counting afresh (decoder state is kept): a shard's warm-up frames are not its own. */
  resetStats(): void {
    this.#stats = new PipelineStats();
  }

  /**
   * The decoders' cross-frame state as a string, for a frame at the given capture time to come, or
   * undefined when it cannot be summed up (an IP datagram or knet message half reassembled, ...).
   * Two pipelines with equal states decode every later frame alike (src/read/shards.ts).
   */
  boundaryState(tsSec: number, tsNsec: number): string | undefined {
    if (this.net.inFlight > 0) return undefined;
    if (this.knetDecoder === undefined) return 'knet none';
    if (this.knetDecoder.evictedSenders > 0) return undefined;
    const k = this.knetDecoder.boundaryState(BigInt(tsSec) * 1_000_000_000n + BigInt(tsNsec));
    return k === undefined ? undefined : `knet ${k}`;
  }

  /** IP datagrams waiting for more fragments (cross-frame state: zero means none). */
  get reassemblyInFlight(): number {
    return this.net.inFlight;
  }

  /** The knet layer's own counters (reassembly, duplicates, crypto), once knet traffic was seen. */
  get knet(): KnetDecoder | undefined {
    return this.knetDecoder;
  }

  decode(rec: CaptureRecord): DecodedFrame {
    const f = new Frame(rec);
    const knet = this.front(f, rec);
    return knet === undefined ? f : this.decodeKnet(f, rec, knet);
  }

  /**
   * Counts the record in `stats` exactly as decode() would, without the decoded frame: Totem
   * messages are checked (checkTotem), not built; in-frame datagrams stay offsets (NetDecoder.locate).
   * What `read --stats` runs. The knet layer still decodes its packets (it keeps state across them).
   */
  count(rec: CaptureRecord): void {
    const knet = this.front(undefined, rec);
    if (knet !== undefined) this.decodeKnet(undefined, rec, knet);
  }

  /**
   * count() over a batch of records, with the knet payloads handed to the knet decoder's
   * prefetch() first, as decodeBatch() does: `read --stats` with knet keys.
   */
  countBatch(recs: readonly CaptureRecord[]): void {
    for (let i = 0; i < recs.length; i += BATCH) {
      const sub = recs.slice(i, i + BATCH);
      const knetDatagrams = sub.map((rec) => this.front(undefined, rec));
      const payloads: Uint8Array[] = [];
      for (const d of knetDatagrams) if (d !== undefined) payloads.push(d.payload);
      if (payloads.length > 0) this.knetLayer().prefetch(payloads);
      for (let k = 0; k < sub.length; k++) {
        const d = knetDatagrams[k];
        if (d !== undefined) this.decodeKnet(undefined, sub[k]!, d);
      }
    }
  }

  /**
   * Decodes a batch of records (e.g. one read chunk's), handing each frame to `onFrame` in order.
   * Same frames and stats as decode() one by one; knet payloads are handed to the knet decoder's
   * prefetch() first (HMACs four at a time, one AES call).
   */
  decodeBatch(recs: readonly CaptureRecord[], onFrame: (f: DecodedFrame) => void): void {
    // Sub-batches: a whole 1 MiB chunk's frames alive at once costs more GC than batching saves.
    for (let i = 0; i < recs.length; i += BATCH) this.decodeSub(recs.slice(i, i + BATCH), onFrame);
  }

  private decodeSub(recs: readonly CaptureRecord[], onFrame: (f: DecodedFrame) => void): void {
    const frames: Frame[] = [];
    const knetDatagrams: (UdpDatagram | undefined)[] = [];
    const payloads: Uint8Array[] = [];
    for (const rec of recs) {
      const f = new Frame(rec);
      const d = this.front(f, rec);
      frames.push(f);
      knetDatagrams.push(d);
      if (d !== undefined) payloads.push(d.payload);
    }
    if (payloads.length > 0) this.knetLayer().prefetch(payloads);
    for (let i = 0; i < frames.length; i++) {
      const d = knetDatagrams[i];
      onFrame(d === undefined ? frames[i]! : this.decodeKnet(frames[i]!, recs[i]!, d));
    }
  }

  /**
   * Everything up to the transport: link, IP, UDP, port, transport, and for udp/udpu the Totem
   * message. Returns the datagram when it is knet (decoded by decodeKnet), else undefined with the
   * frame finished. Without a frame (count()) it only counts: same checks, same stats, no values.
   */
  private front(f: Frame | undefined, rec: CaptureRecord): UdpDatagram | undefined {
    const stats = this.#stats;
    stats.frames++;
    stats.bytes += rec.capLen ?? rec.data.length;
    const r = this.net.locate(rec);
    // The UDP payload is buf[start, end); `d` is made only when someone needs the value.
    let d: UdpDatagram | undefined;
    let buf: Uint8Array;
    let start: number;
    let end: number;
    let srcPort: number;
    let dstPort: number;
    let payloadOffset: number;
    if (isInFrame(r)) {
      const s = this.net.span;
      buf = s.buf;
      start = s.payloadStart;
      end = s.payloadEnd;
      srcPort = s.srcPort;
      dstPort = s.dstPort;
      payloadOffset = start - s.frameStart;
    } else if (r instanceof WireError) {
      return void this.fail(f, r);
    } else if (r.kind === 'ignored') {
      return void this.ignore(f, r.reason);
    } else if (r.kind === 'fragment') {
      return void this.finish(f, 'fragment');
    } else {
      d = r.datagram;
      buf = d.payload;
      start = 0;
      end = buf.length;
      srcPort = d.srcPort;
      dstPort = d.dstPort;
      payloadOffset = d.payloadOffset;
    }

    if (!isCorosyncPort(this.ports, srcPort, dstPort)) return void this.ignore(f, 'not a corosync port');
    const transport = transportCodeAt(buf, start, end, srcPort, dstPort);
    stats.countTransportCode(transport);
    if (f !== undefined) {
      d ??= this.net.spanDatagram();
      f.udp = d;
      f.transport = TRANSPORTS[transport];
    }

    if (transport === TRANSPORT_KNET) return d ?? this.net.spanDatagram();
    if (transport === TRANSPORT_UNKNOWN) {
      const base = payloadOffset >= 0 ? payloadOffset : 0;
      return void this.fail(f, new WireError('totem.unrecognised', base, 'UDP payload on a corosync port is neither Totem v3 nor knet'));
    }
    let type: number;
    if (f !== undefined) {
      const m = decodeTotem(d!.payload);
      if (m instanceof WireError) return void this.fail(f, payloadOffset >= 0 ? m.rebase(payloadOffset) : m);
      f.totem = m;
      type = m.header.type;
    } else {
      const c = checkTotem(buf, start, end - start);
      if (typeof c !== 'number') return void this.fail(f, payloadOffset >= 0 ? c.rebase(payloadOffset) : c);
      type = c;
    }
    stats.countTotemTypeCode(transport, type);
    this.finish(f, 'totem');
    return undefined;
  }

  private knetLayer(): KnetDecoder {
    this.knetDecoder ??= new KnetDecoder({ ...this.knetOptions, basePort: this.ports.min <= 5405 && this.ports.max >= 5405 ? 5405 : this.ports.min });
    return this.knetDecoder;
  }

  /** The knet layer of a frame (of a count() when `f` is undefined: the Totem message is then checked, not built). */
  private decodeKnet<F extends Frame | undefined>(f: F, rec: CaptureRecord, d: UdpDatagram): F {
    const k = this.knetLayer().decode(d.payload, { src: d.srcText, dst: d.dstText, srcPort: d.srcPort, dstPort: d.dstPort, timeNs: { sec: rec.tsSec, nsec: rec.tsNsec } });
    if (f !== undefined) f.knet = k;
    if (k.kind === 'error') return this.fail(f, d.payloadOffset >= 0 ? k.error.rebase(d.payloadOffset) : k.error);
    if (k.kind !== 'data') {
      this.#stats.countType('knet', k.kind);
      return this.finish(f, 'knet-control');
    }
    if (k.status === 'fragment_pending') {
      this.#stats.countType('knet', 'fragment');
      return this.finish(f, 'fragment');
    }
    if (k.status === 'duplicate') {
      this.#stats.countType('knet', 'duplicate');
      return this.finish(f, 'duplicate');
    }
    if (k.data.channel !== 0 || k.userData === undefined) {
      // Channel 1 is libnozzle (an IP tunnel), not Totem.
      this.#stats.countType('knet', `channel ${k.data.channel}`);
      return this.finish(f, 'knet-control');
    }
    let type: number;
    if (f !== undefined) {
      const m = decodeTotem(k.userData);
      if (m instanceof WireError) return this.fail(f, m);
      f.totem = m;
      type = m.header.type;
    } else {
      const c = checkTotem(k.userData);
      if (typeof c !== 'number') return this.fail(f, c);
      type = c;
    }
    this.#stats.countTotemTypeCode(TRANSPORT_KNET, type);
    return this.finish(f, 'totem');
  }

  private finish<F extends Frame | undefined>(f: F, status: FrameStatus): F {
    if (f !== undefined) f.status = status;
    this.#stats.countStatus(status);
    return f;
  }

  private fail<F extends Frame | undefined>(f: F, e: WireError): F {
    if (f !== undefined) f.error = e;
    this.#stats.countError(e.code);
    return this.finish(f, 'error');
  }

  private ignore<F extends Frame | undefined>(f: F, reason: string): F {
    if (f !== undefined) f.ignoredReason = reason;
    this.#stats.countIgnored(reason);
    return this.finish(f, 'ignored');
  }
}

/**
 * Feeds records to a pipeline one by one, or, with `batched`, collected until `drain()` (e.g. after
 * each read chunk; records of one CaptureReader.push() stay valid until then) and decoded as a
 * batch. Frames reach `onFrame` in record order either way. Without `onFrame` only the pipeline's
 * stats are wanted: records are then counted (FramePipeline.count, countBatch), not decoded.
 */
export class FrameBatcher {
  readonly #records: CaptureRecord[] = [];
  readonly #onFrame: (f: DecodedFrame) => void;
  readonly #countOnly: boolean;

  constructor(
    private readonly pipeline: FramePipeline,
    onFrame: ((f: DecodedFrame) => void) | undefined,
    private readonly batched: boolean,
  ) {
    this.#onFrame = onFrame ?? ((): void => undefined);
    this.#countOnly = onFrame === undefined;
  }

  push(rec: CaptureRecord): void {
    if (this.batched) this.#records.push(rec);
    else if (this.#countOnly) this.pipeline.count(rec);
    else this.#onFrame(this.pipeline.decode(rec));
  }

  drain(): void {
    if (this.#records.length === 0) return;
    if (this.#countOnly) this.pipeline.countBatch(this.#records);
    else this.pipeline.decodeBatch(this.#records, this.#onFrame);
    this.#records.length = 0;
  }
}

/** Batching pays off only where there is knet crypto to batch: when keys are given. */
export function batchesPay(knet: KnetCryptoOptions | undefined): boolean {
  return (knet?.keys?.length ?? 0) > 0;
}
