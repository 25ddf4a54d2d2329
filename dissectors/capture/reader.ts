/**
 * Streaming capture-file reader: classic pcap (µs and ns, both byte orders) and pcapng (SHB, IDB,
 * EPB, SPB, obsolete PB; unknown blocks skipped by length; several sections, both byte orders).
 *
 * Push-based and synchronous: `push(chunk, onRecord)` delivers every record complete in the bytes
 * seen so far, in order, and keeps at most one incomplete record or block (the "carry", bounded by
 * `maxRecordLength` / `maxBlockLength`). Records in the middle of a chunk are delivered as views
 * into that chunk (zero copy); only a record split across chunks is copied, once.
 *
 * "Need more bytes" (a chunk boundary) is a state, never an error: the parser reports how many
 * bytes it needs from the unit start and the reader waits for them. So any chunking of a file
 * yields identical records. "Malformed" is a `CaptureFormatError` thrown after every complete
 * record before it was delivered; the reader then stays failed.
 *
 * Formats: draft-ietf-opsawg-pcap (classic) and draft-ietf-opsawg-pcapng.
 */
import { u16, u32 } from '../bytes.ts';
import { CaptureFormatError, type CaptureErrorCode } from './errors.ts';
import { splitTimestamp, splitTimestampBig, tsOut, tsResolution, TS_MICROSECONDS, type TsResolution } from './timestamp.ts';

export interface CaptureRecord {
  /** 1-based frame number across the file. */
  readonly number: number;
  /** Integer seconds since the epoch. */
  readonly tsSec: number;
  /** Integer nanoseconds 0..999999999 (exact for ns captures). */
  readonly tsNsec: number;
  /** LINKTYPE_* of the record's interface (1 Ethernet, 113 SLL, 276 SLL2, ...). */
  readonly linkType: number;
  /** pcap: 0. pcapng: the interface's index counted across all sections of the file. */
  readonly interfaceId: number;
  /** Captured bytes. A view into the reader's chunk: valid only until the callback returns; copy to keep. */
  readonly data: Uint8Array;
  /** Length of the packet on the wire (>= data.length when the capture was cut by snaplen). */
  readonly origLen: number;
  /** Absolute file offset of the record header (pcap) or block (pcapng). */
  readonly fileOffset: number;
  /**
   * Zero-copy access for decoders (set by CaptureReader; optional for records made elsewhere):
   * the captured bytes are bytes[dataOffset, dataOffset + capLen). Same lifetime as `data`.
   * Reading these instead of `data` spares a view per record on the hot path.
   */
  readonly bytes?: Uint8Array;
  readonly dataOffset?: number;
  /** Captured length (= data.length). */
  readonly capLen?: number;
}

/**
 * The reader's record: `data` is made on first access (a typed-array view costs more than the rest
 * of the record together).
 */
class ChunkRecord implements CaptureRecord {
  private view: Uint8Array | undefined;
  constructor(
    public number: number,
    public tsSec: number,
    public tsNsec: number,
    public linkType: number,
    public interfaceId: number,
    public bytes: Uint8Array,
    public dataOffset: number,
    public capLen: number,
    public origLen: number,
    public fileOffset: number,
  ) {}

  /** Makes this the record of another packet (CaptureReaderOptions.reuseRecord). */
  reset(number: number, tsSec: number, tsNsec: number, linkType: number, interfaceId: number, bytes: Uint8Array, dataOffset: number, capLen: number, origLen: number, fileOffset: number): this {
    this.number = number;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.linkType = linkType;
    this.interfaceId = interfaceId;
    this.bytes = bytes;
    this.dataOffset = dataOffset;
    this.capLen = capLen;
    this.origLen = origLen;
    this.fileOffset = fileOffset;
    this.view = undefined;
    return this;
  }

  get data(): Uint8Array {
    return (this.view ??= this.bytes.subarray(this.dataOffset, this.dataOffset + this.capLen));
  }

  toJSON(): object {
    const { number, tsSec, tsNsec, linkType, interfaceId, origLen, fileOffset, capLen } = this;
    return { number, tsSec, tsNsec, linkType, interfaceId, capLen, origLen, fileOffset };
  }
}

const EMPTY = new Uint8Array(0);

export type RecordCallback = (r: CaptureRecord) => void;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureInterface {
  /** Index across the file (what `CaptureRecord.interfaceId` refers to). */
  readonly id: number;
  /** 0-based pcapng section the interface belongs to (0 for pcap). */
  readonly section: number;
  readonly linkType: number;
  /** 0 = unknown / unlimited. */
  readonly snaplen: number;
  /** pcapng if_name, when present. */
  readonly name?: string;
  /** Timestamp resolution byte as in pcapng if_tsresol (6 = µs, 9 = ns). */
  readonly tsresol: number;
  /** pcapng if_tsoffset in seconds (0 when absent). */
  readonly tsOffset: number;
}

export interface CaptureSummary {
  readonly format: CaptureFormat | undefined;
  readonly records: number;
  readonly bytes: number;
  readonly sections: number;
  readonly interfaces: readonly CaptureInterface[];
}

export interface CaptureReaderOptions {
  /** Largest captured length accepted per record (default 262144, libpcap's MAXIMUM_SNAPLEN). */
  readonly maxRecordLength?: number;
  /** Largest pcapng block accepted (default 16 MiB). */
  readonly maxBlockLength?: number;
  /** Most interfaces kept across the file (default 65536). */
  readonly maxInterfaces?: number;
  /**
   * Deliver every record in the same object, overwritten for the next one: no allocation per
   * record, for consumers that keep nothing of a record past its callback (counting). Default false.
   */
  readonly reuseRecord?: boolean;
}

export const DEFAULT_MAX_RECORD_LENGTH = 262144;
export const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;
export const DEFAULT_MAX_INTERFACES = 65536;

// ---- classic pcap (draft-ietf-opsawg-pcap §4, §5) ----
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
const PCAP_VERSION_MAJOR = 4;
const PCAP_SNAPLEN = 16;
const PCAP_LINKTYPE = 20;
const REC_TS_SEC = 0;
const REC_TS_FRAC = 4;
const REC_CAPLEN = 8;
const REC_ORIGLEN = 12;

// ---- pcapng (draft-ietf-opsawg-pcapng §3, §4) ----
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_PB = 0x00000002; // obsolete Packet Block
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLK_TYPE = 0;
const BLK_LEN = 4;
const BLK_MIN_LEN = 12; // type + length + trailing length
const SHB_BOM = 8;
const SHB_MAJOR = 12;
const SHB_MIN_LEN = 28;
const IDB_LINKTYPE = 8;
const IDB_SNAPLEN = 12;
const IDB_OPTIONS = 16;
const IDB_MIN_LEN = 20;
const EPB_IFID = 8;
const EPB_TS_HI = 12;
const EPB_TS_LO = 16;
const EPB_CAPLEN = 20;
const EPB_ORIGLEN = 24;
const EPB_DATA = 28;
const EPB_MIN_LEN = 32;
const PB_IFID = 8; // u16, then u16 drops count
const SPB_ORIGLEN = 8;
const SPB_DATA = 12;
const SPB_MIN_LEN = 16;
const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

const enum State {
  Detect,
  PcapHeader,
  PcapRecords,
  Pcapng,
  Failed,
}

interface Iface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly res: TsResolution;
  readonly tsOffset: number;
  readonly globalId: number;
}


export class CaptureReader {
  private readonly maxRecordLength: number;
  private readonly maxBlockLength: number;
  private readonly maxInterfaces: number;
  /** The one record object handed out with `reuseRecord`. */
  private readonly shared: ChunkRecord | undefined;

  private state = State.Detect;
  private failure: CaptureFormatError | undefined;
  /** Set when a callback threw: the position in the input is lost, so the reader refuses more. */
  private aborted = false;
  private _format: CaptureFormat | undefined;
  private _bytesRead = 0;
  private _recordsRead = 0;
  /** Absolute offset of the first byte not yet consumed (start of the pending unit). */
  private consumed = 0;
  /** Bytes the current unit needs from its start, when the parser stopped short. */
  private need = 0;
  private carry: Uint8Array = new Uint8Array(0);
  private carryLen = 0;

  // pcap
  private le = true;
  private pcapNano = false;
  private pcapSnaplen = 0;
  private pcapLinkType = 0;

  // pcapng
  private sections = 0;
  private ifaces: Iface[] = [];
  private readonly allIfaces: CaptureInterface[] = [];

  constructor(opts: CaptureReaderOptions = {}) {
    this.maxRecordLength = opts.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
    this.maxBlockLength = opts.maxBlockLength ?? DEFAULT_MAX_BLOCK_LENGTH;
    this.maxInterfaces = opts.maxInterfaces ?? DEFAULT_MAX_INTERFACES;
    this.shared = opts.reuseRecord === true ? new ChunkRecord(0, 0, 0, 0, 0, EMPTY, 0, 0, 0, 0) : undefined;
  }

  /** A record object for the next packet: the shared one (reuseRecord) or a new one. */
  private record(number: number, tsSec: number, tsNsec: number, linkType: number, interfaceId: number, bytes: Uint8Array, dataOffset: number, capLen: number, origLen: number, fileOffset: number): ChunkRecord {
    const r = this.shared;
    if (r !== undefined) return r.reset(number, tsSec, tsNsec, linkType, interfaceId, bytes, dataOffset, capLen, origLen, fileOffset);
    return new ChunkRecord(number, tsSec, tsNsec, linkType, interfaceId, bytes, dataOffset, capLen, origLen, fileOffset);
  }

  get format(): CaptureFormat | undefined {
    return this._format;
  }
  /** Bytes pushed so far. */
  get bytesRead(): number {
    return this._bytesRead;
  }
  /** Records delivered so far. */
  get recordsRead(): number {
    return this._recordsRead;
  }
  /** Absolute offset up to which the input was parsed into complete headers/records/blocks. */
  get bytesConsumed(): number {
    return this.consumed;
  }
  get interfaces(): readonly CaptureInterface[] {
    return this.allIfaces;
  }

  summary(): CaptureSummary {
    return {
      format: this._format,
      records: this._recordsRead,
      bytes: this._bytesRead,
      sections: this._format === 'pcap' ? 1 : this.sections,
      interfaces: this.allIfaces.slice(),
    };
  }

  /**
   * Parses `chunk` (which the reader does not keep: a partial record at its end is copied).
   * Throws `CaptureFormatError` on malformed framing, after delivering every complete record before it.
   *
   * Records stay valid after their callback as long as their bytes do: a record in `chunk` while the
   * caller keeps `chunk` intact, a record completed across chunks (delivered from the reader's own
   * copy) for good, since that copy is never written again. So a caller may collect one push()'s
   * records and decode them as a batch afterwards.
   */
  push(chunk: Uint8Array, onRecord: RecordCallback): void {
    if (this.failure) throw this.failure;
    if (this.aborted) throw new Error('CaptureReader: a record callback threw earlier; the reader cannot resume');
    // Views of a Node Buffer are Buffers, ~50% dearer to make than plain Uint8Array views; records
    // are views, so re-type the chunk once.
    if (chunk.constructor !== Uint8Array) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this._bytesRead += chunk.length;
    let off = 0;
    const end = chunk.length;
    try {
      if (this.carryLen > 0) {
        // Complete the unit split across chunks; its length may grow once its header is known.
        for (;;) {
          const take = Math.min(this.need - this.carryLen, end - off);
          this.carry.set(chunk.subarray(off, off + take), this.carryLen);
          this.carryLen += take;
          off += take;
          if (this.carryLen < this.need) return;
          const reached = this.run(this.carry, 0, this.carryLen, this.consumed, onRecord);
          if (reached === this.carryLen) break;
          if (reached > 0) {
            // Records were just delivered from the carry: leave those bytes alone (see push()).
            this.carry = this.carry.slice(reached, this.carryLen);
            this.carryLen -= reached;
          }
          this.growCarry(this.need);
        }
        // The carry now holds delivered records: the next partial unit goes into a fresh buffer.
        this.carry = new Uint8Array(0);
        this.carryLen = 0;
      }
      if (off < end) {
        const reached = this.run(chunk, off, end, this.consumed - off, onRecord);
        if (reached < end) {
          this.growCarry(this.need);
          this.carry.set(chunk.subarray(reached, end), 0);
          this.carryLen = end - reached;
        }
      }
    } catch (e) {
      if (e instanceof CaptureFormatError) {
        this.failure = e;
        this.state = State.Failed;
      } else this.aborted = true;
      throw e;
    }
  }

  /** Declares the end of input. Throws `CaptureFormatError` if it came inside a header, record or block. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.aborted) throw new Error('CaptureReader: a record callback threw earlier; the reader cannot resume');
    let err: CaptureFormatError | undefined;
    const have = this.carryLen;
    const at = this.consumed;
    if (this.state === State.Detect) {
      err = new CaptureFormatError('capture.empty', at, `the input ended after ${this._bytesRead} bytes, before the 4-byte format magic`);
    } else if (this.state === State.PcapHeader) {
      err = new CaptureFormatError(
        'pcap.truncated_file_header',
        at,
        `the input ended after ${this._bytesRead} bytes, inside the ${PCAP_FILE_HEADER_LEN}-byte pcap file header`,
      );
    } else if (have > 0) {
      // `need` is the full unit length once its header was read, else the header length.
      const size = this.need > PCAP_RECORD_HEADER_LEN ? `${this.need} bytes long` : `at least ${this.need} bytes long (its header is incomplete)`;
      if (this.state === State.PcapRecords) {
        err = new CaptureFormatError(
          'pcap.truncated_record',
          at,
          `record ${this._recordsRead + 1} starts here but the input ends ${have} bytes into it; the record is ${size} (${this._recordsRead} complete records read, ${this._bytesRead} bytes in all)`,
        );
      } else {
        err = new CaptureFormatError(
          'pcapng.truncated_block',
          at,
          `a block starts here but the input ends ${have} bytes into it; the block is ${size} (${this._recordsRead} complete records read, ${this._bytesRead} bytes in all)`,
        );
      }
    }
    if (err) {
      this.failure = err;
      this.state = State.Failed;
      throw err;
    }
  }

  private growCarry(size: number): void {
    if (this.carry.length >= size) return;
    const next = new Uint8Array(Math.max(size, Math.min(this.carry.length * 2, this.maxBlockLength + 64)));
    next.set(this.carry.subarray(0, this.carryLen), 0);
    this.carry = next;
  }

  /**
   * Parses complete units in b[off, end); `base` is the absolute file offset of b[0]. Returns the
   * offset reached; when it is < end, `this.need` holds the byte count the unit there needs.
   */
  private run(b: Uint8Array, off: number, end: number, base: number, onRecord: RecordCallback): number {
    for (;;) {
      switch (this.state) {
        case State.Detect: {
          if (end - off < 4) return this.short(off, 4);
          const magic = u32(b, off, false);
          if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) {
            this.le = false;
          } else if (u32(b, off, true) === PCAP_MAGIC_US || u32(b, off, true) === PCAP_MAGIC_NS) {
            this.le = true;
          } else if (magic === PCAPNG_SHB) {
            this._format = 'pcapng';
            this.state = State.Pcapng;
            continue;
          } else {
            throw new CaptureFormatError(
              'capture.unknown_format',
              base + off,
              `first 4 bytes are 0x${magic.toString(16).padStart(8, '0')}: neither a pcap magic (a1b2c3d4 / a1b23c4d, either byte order) nor a pcapng Section Header Block (0a0d0d0a)`,
            );
          }
          this.pcapNano = u32(b, off, this.le) === PCAP_MAGIC_NS;
          this._format = 'pcap';
          this.state = State.PcapHeader;
          continue;
        }
        case State.PcapHeader: {
          if (end - off < PCAP_FILE_HEADER_LEN) return this.short(off, PCAP_FILE_HEADER_LEN);
          const major = u16(b, off + PCAP_VERSION_MAJOR, this.le);
          if (major !== 2) {
            throw new CaptureFormatError('pcap.unsupported_version', base + off + PCAP_VERSION_MAJOR, `pcap version ${major}.x, only 2.x is defined`);
          }
          this.pcapSnaplen = u32(b, off + PCAP_SNAPLEN, this.le);
          // Bits 16..31 of the LinkType field carry FCS information, not the link type.
          this.pcapLinkType = u32(b, off + PCAP_LINKTYPE, this.le) & 0xffff;
          this.allIfaces.push({
            id: 0,
            section: 0,
            linkType: this.pcapLinkType,
            snaplen: this.pcapSnaplen,
            tsresol: this.pcapNano ? 9 : 6,
            tsOffset: 0,
          });
          off += PCAP_FILE_HEADER_LEN;
          this.consumed = base + off;
          this.state = State.PcapRecords;
          continue;
        }
        case State.PcapRecords:
          return this.runPcap(b, off, end, base, onRecord);
        case State.Pcapng:
          return this.runPcapng(b, off, end, base, onRecord);
        case State.Failed:
          throw this.failure!;
      }
    }
  }

  private short(off: number, need: number): number {
    this.need = need;
    return off;
  }

  private runPcap(b: Uint8Array, off: number, end: number, base: number, onRecord: RecordCallback): number {
    const le = this.le;
    const limit = this.pcapSnaplen > 0 && this.pcapSnaplen < this.maxRecordLength ? this.pcapSnaplen : this.maxRecordLength;
    const fracMul = this.pcapNano ? 1 : 1000;
    const fracMax = this.pcapNano ? 1_000_000_000 : 1_000_000;
    const linkType = this.pcapLinkType;
    for (;;) {
      const avail = end - off;
      if (avail < PCAP_RECORD_HEADER_LEN) return this.short(off, PCAP_RECORD_HEADER_LEN);
      const caplen = u32(b, off + REC_CAPLEN, le);
      if (caplen > limit) {
        throw new CaptureFormatError(
          'pcap.record_too_long',
          base + off + REC_CAPLEN,
          `record ${this._recordsRead + 1} claims ${caplen} captured bytes, more than the ${limit === this.pcapSnaplen ? `file's snaplen ${limit}` : `reader's maximum ${limit}`} (${this._recordsRead} complete records read)`,
        );
      }
      const total = PCAP_RECORD_HEADER_LEN + caplen;
      if (avail < total) return this.short(off, total);
      let sec = u32(b, off + REC_TS_SEC, le);
      let frac = u32(b, off + REC_TS_FRAC, le);
      if (frac >= fracMax) {
        // Out-of-range fraction (some writers); carry it into the seconds rather than reject.
        sec += Math.floor(frac / fracMax);
        frac %= fracMax;
      }
      const rec = this.record(
        ++this._recordsRead,
        sec,
        frac * fracMul,
        linkType,
        0,
        b,
        off + PCAP_RECORD_HEADER_LEN,
        caplen,
        u32(b, off + REC_ORIGLEN, le),
        base + off,
      );
      off += total;
      this.consumed = base + off;
      onRecord(rec);
      if (off === end) return off;
    }
  }

  private blockError(code: CaptureErrorCode, at: number, msg: string): CaptureFormatError {
    return new CaptureFormatError(code, at, `${msg} (${this._recordsRead} complete records read)`);
  }

  private runPcapng(b: Uint8Array, off: number, end: number, base: number, onRecord: RecordCallback): number {
    for (;;) {
      const avail = end - off;
      if (avail < 8) return this.short(off, 8);
      const type = u32(b, off + BLK_TYPE, this.le);
      if (type === PCAPNG_SHB) {
        // The byte order of a section is only known from its own header.
        if (avail < 12) return this.short(off, 12);
        const bom = u32(b, off + SHB_BOM, true);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.le = true;
        else if (u32(b, off + SHB_BOM, false) === PCAPNG_BYTE_ORDER_MAGIC) this.le = false;
        else {
          throw this.blockError(
            'pcapng.bad_byte_order_magic',
            base + off + SHB_BOM,
            `Section Header Block byte-order magic is 0x${u32(b, off + SHB_BOM, false).toString(16).padStart(8, '0')}, expected 1a2b3c4d in either byte order`,
          );
        }
      } else if (this.sections === 0) {
        throw new CaptureFormatError('capture.unknown_format', base + off, `pcapng file does not start with a Section Header Block`);
      }
      const le = this.le;
      const len = u32(b, off + BLK_LEN, le);
      if (len < BLK_MIN_LEN || (len & 3) !== 0 || len > this.maxBlockLength) {
        throw this.blockError(
          'pcapng.bad_block_length',
          base + off + BLK_LEN,
          `block of type 0x${type.toString(16)} claims total length ${len}; a block length must be >= ${BLK_MIN_LEN}, a multiple of 4 and <= ${this.maxBlockLength}`,
        );
      }
      if (avail < len) return this.short(off, len);
      const trailing = u32(b, off + len - 4, le);
      if (trailing !== len) {
        throw this.blockError(
          'pcapng.block_length_mismatch',
          base + off + len - 4,
          `block of type 0x${type.toString(16)} at ${base + off} has leading length ${len} but trailing length ${trailing}`,
        );
      }
      const at = base + off;
      switch (type) {
        case PCAPNG_EPB: {
          if (len < EPB_MIN_LEN) throw this.tooShort(type, len, EPB_MIN_LEN, at);
          const ifid = u32(b, off + EPB_IFID, le);
          const iface = this.iface(ifid, at + EPB_IFID);
          const caplen = u32(b, off + EPB_CAPLEN, le);
          this.checkCaplen(caplen, len - EPB_MIN_LEN, at + EPB_CAPLEN);
          this.emitPacket(iface, u32(b, off + EPB_TS_HI, le), u32(b, off + EPB_TS_LO, le), b, off + EPB_DATA, caplen, u32(b, off + EPB_ORIGLEN, le), at, onRecord);
          break;
        }
        case PCAPNG_SPB: {
          if (len < SPB_MIN_LEN) throw this.tooShort(type, len, SPB_MIN_LEN, at);
          const iface = this.iface(0, at);
          const origLen = u32(b, off + SPB_ORIGLEN, le);
          // SPB has no captured-length field: min(original length, snaplen, what the block holds).
          let caplen = Math.min(origLen, len - SPB_MIN_LEN);
          if (iface.snaplen > 0 && iface.snaplen < caplen) caplen = iface.snaplen;
          this.checkCaplen(caplen, len - SPB_MIN_LEN, at + SPB_ORIGLEN);
          // No timestamp in an SPB: the record carries 0.
          this.emitPacket(iface, 0, 0, b, off + SPB_DATA, caplen, origLen, at, onRecord, true);
          break;
        }
        case PCAPNG_PB: {
          if (len < EPB_MIN_LEN) throw this.tooShort(type, len, EPB_MIN_LEN, at);
          const iface = this.iface(u16(b, off + PB_IFID, le), at + PB_IFID);
          const caplen = u32(b, off + EPB_CAPLEN, le);
          this.checkCaplen(caplen, len - EPB_MIN_LEN, at + EPB_CAPLEN);
          this.emitPacket(iface, u32(b, off + EPB_TS_HI, le), u32(b, off + EPB_TS_LO, le), b, off + EPB_DATA, caplen, u32(b, off + EPB_ORIGLEN, le), at, onRecord);
          break;
        }
        case PCAPNG_IDB:
          this.readIdb(b, off, len, at);
          break;
        case PCAPNG_SHB: {
          if (len < SHB_MIN_LEN) throw this.tooShort(type, len, SHB_MIN_LEN, at);
          const major = u16(b, off + SHB_MAJOR, le);
          if (major !== 1) {
            throw this.blockError('pcapng.unsupported_version', at + SHB_MAJOR, `Section Header Block version ${major}.x, only 1.x is defined`);
          }
          this.sections++;
          this.ifaces = [];
          break;
        }
        default:
          // Unknown, custom, statistics, name resolution, decryption secrets...: skipped by length.
          break;
      }
      off += len;
      this.consumed = base + off;
      if (off === end) return off;
    }
  }

  private tooShort(type: number, len: number, min: number, at: number): CaptureFormatError {
    return this.blockError('pcapng.block_too_short', at + BLK_LEN, `block of type 0x${type.toString(16)} has length ${len}, its fixed fields need ${min}`);
  }

  private iface(id: number, at: number): Iface {
    const iface = this.ifaces[id];
    if (iface === undefined) {
      throw this.blockError(
        'pcapng.bad_interface_id',
        at,
        `packet block names interface ${id} but this section declared ${this.ifaces.length} interface${this.ifaces.length === 1 ? '' : 's'}`,
      );
    }
    return iface;
  }

  private checkCaplen(caplen: number, room: number, at: number): void {
    if (caplen > room) {
      throw this.blockError('pcapng.bad_captured_length', at, `packet block claims ${caplen} captured bytes but has room for ${room}`);
    }
    if (caplen > this.maxRecordLength) {
      throw this.blockError('pcapng.record_too_long', at, `packet block claims ${caplen} captured bytes, more than the reader's maximum ${this.maxRecordLength}`);
    }
  }

  private emitPacket(
    iface: Iface,
    tsHi: number,
    tsLo: number,
    b: Uint8Array,
    dataOffset: number,
    caplen: number,
    origLen: number,
    at: number,
    onRecord: RecordCallback,
    noTimestamp = false,
  ): void {
    let sec = 0;
    let nsec = 0;
    if (!noTimestamp) {
      const res = iface.res;
      if (res.unitsPerSecond !== 0) splitTimestamp(tsHi, tsLo, res.unitsPerSecond, res.nsPerUnit);
      else splitTimestampBig(tsHi, tsLo, res.unitsPerSecondBig);
      sec = tsOut.sec + iface.tsOffset;
      nsec = tsOut.nsec;
    }
    onRecord(this.record(++this._recordsRead, sec, nsec, iface.linkType, iface.globalId, b, dataOffset, caplen, origLen, at));
  }

  private readIdb(b: Uint8Array, off: number, len: number, at: number): void {
    const le = this.le;
    if (len < IDB_MIN_LEN) throw this.tooShort(PCAPNG_IDB, len, IDB_MIN_LEN, at);
    if (this.allIfaces.length >= this.maxInterfaces) {
      throw this.blockError('pcapng.too_many_interfaces', at, `more than ${this.maxInterfaces} Interface Description Blocks`);
    }
    const linkType = u16(b, off + IDB_LINKTYPE, le);
    const snaplen = u32(b, off + IDB_SNAPLEN, le);
    let res = TS_MICROSECONDS;
    let tsOffset = 0;
    let name: string | undefined;
    const optEnd = off + len - 4;
    let p = off + IDB_OPTIONS;
    while (p + 4 <= optEnd) {
      const code = u16(b, p, le);
      const olen = u16(b, p + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const next = p + 4 + ((olen + 3) & ~3);
      if (next > optEnd) {
        throw this.blockError('pcapng.bad_option', at + (p - off), `option ${code} of length ${olen} runs past the end of its Interface Description Block`);
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) res = tsResolution(b[p + 4]!);
      else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds; offsets beyond 2^53 are not meaningful.
        const lo = u32(b, p + 4 + (le ? 0 : 4), le);
        const hi = u32(b, p + 4 + (le ? 4 : 0), le);
        tsOffset = (hi | 0) * 0x100000000 + lo;
      } else if (code === OPT_IF_NAME) name = new TextDecoder().decode(b.subarray(p + 4, p + 4 + olen)).replace(/\0+$/, '');
      p = next;
    }
    const globalId = this.allIfaces.length;
    this.ifaces.push({ linkType, snaplen, res, tsOffset, globalId });
    const desc: { -readonly [K in keyof CaptureInterface]: CaptureInterface[K] } = {
      id: globalId,
      section: this.sections - 1,
      linkType,
      snaplen,
      tsresol: res.raw,
      tsOffset,
    };
    if (name !== undefined) desc.name = name;
    this.allIfaces.push(desc);
  }
}
