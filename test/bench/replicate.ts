/**
 * Builds a large benchmark capture from a real one: the source's records repeated until at least
 * `minFrames` are written, each copy shifted in time past the previous one so the file stays a
 * plausible, monotonic capture. Output is classic little-endian pcap (µs or ns as the source).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type CaptureRecord } from '../../dissectors/capture/index.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import { decodeTotem, emitTotem } from '../../dissectors/totemsrp/index.ts';
import type { RingId, TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';

interface HeldRecord {
  readonly sec: number;
  readonly nsec: number;
  readonly origLen: number;
  readonly data: Uint8Array;
  /** Where the cleartext totemsrp message sits in `data`, for ring shifting (-1: none). */
  readonly totemOffset: number;
  readonly totem: TotemMessage | undefined;
}

/**
 * The same message on a ring `delta` sequence numbers later (ring ids, join ring_seq, commit-token
 * entries). Copies of a capture then read as later rings, as a long capture would, instead of
 * repeating ring ids that an analyzer rightly treats as old traffic.
 */
function shiftRings(m: TotemMessage, delta: bigint): TotemMessage {
  const ring = (r: RingId): RingId => (r.seq === 0n && r.rep === 0 ? r : { rep: r.rep, seq: r.seq + delta });
  switch (m.kind) {
    case 'orf_token':
      return { ...m, ringId: ring(m.ringId), rtrList: m.rtrList.map((i) => ({ ...i, ringId: ring(i.ringId) })) };
    case 'mcast':
    case 'memb_merge_detect':
    case 'token_hold_cancel':
      return { ...m, ringId: ring(m.ringId) };
    case 'memb_join':
      return { ...m, ringSeq: m.ringSeq + delta };
    case 'memb_commit_token':
      return { ...m, ringId: ring(m.ringId), membList: m.membList.map((e) => ({ ...e, ringId: ring(e.ringId) })) };
  }
}

export async function replicateCapture(
  src: string,
  dst: string,
  minFrames: number,
  opts: { readonly shiftRings?: boolean } = {},
): Promise<{ frames: number; bytes: number }> {
  const records: HeldRecord[] = [];
  let linkType = -1;
  const pipeline = new FramePipeline();
  let maxRingSeq = 0n;
  await readCaptureFile(src, (r: CaptureRecord) => {
    if (linkType === -1) linkType = r.linkType;
    if (r.linkType !== linkType) throw new Error('replicate: source mixes link types');
    const data = r.data.slice();
    let totemOffset = -1;
    let totem: TotemMessage | undefined;
    if (opts.shiftRings === true) {
      const f = pipeline.decode(r);
      if (f.totem !== undefined && f.transport !== 'knet' && f.udp !== undefined && f.udp.payloadOffset >= 0) {
        totemOffset = f.udp.payloadOffset;
        totem = decodeTotem(data.subarray(totemOffset)) as TotemMessage;
        const seq = 'ringId' in totem ? totem.ringId.seq : totem.kind === 'memb_join' ? totem.ringSeq : 0n;
        if (seq > maxRingSeq) maxRingSeq = seq;
      }
    }
    records.push({ sec: r.tsSec, nsec: r.tsNsec, origLen: r.origLen, data, totemOffset, totem });
  });
  // Ring seqs grow by 4 per ring: each copy starts past every ring of the previous one.
  const ringStride = ((maxRingSeq / 4n) + 1n) * 4n;
  if (records.length === 0) throw new Error(`replicate: ${src} has no records`);
  const first = records[0]!;
  const last = records[records.length - 1]!;
  const spanNs = BigInt(last.sec - first.sec) * 1_000_000_000n + BigInt(last.nsec - first.nsec) + 1_000_000n;

  const out = createWriteStream(dst);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0); // nanosecond pcap
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  out.write(header);

  let frames = 0;
  let bytes = 24;
  const batch: Buffer[] = [];
  let batchBytes = 0;
  for (let copy = 0; frames < minFrames; copy++) {
    const shift = spanNs * BigInt(copy);
    for (const r of records) {
      let data = r.data;
      if (copy > 0 && r.totem !== undefined) {
        data = r.data.slice();
        emitTotem(shiftRings(r.totem, ringStride * BigInt(copy)), data, r.totemOffset);
      }
      const t = BigInt(r.sec) * 1_000_000_000n + BigInt(r.nsec) + shift;
      const rh = Buffer.alloc(16);
      rh.writeUInt32LE(Number(t / 1_000_000_000n), 0);
      rh.writeUInt32LE(Number(t % 1_000_000_000n), 4);
      rh.writeUInt32LE(data.length, 8);
      rh.writeUInt32LE(r.origLen, 12);
      batch.push(rh, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      batchBytes += 16 + data.length;
      frames++;
    }
    if (batchBytes > 4 << 20) {
      if (!out.write(Buffer.concat(batch))) await once(out, 'drain');
      bytes += batchBytes;
      batch.length = 0;
      batchBytes = 0;
    }
  }
  out.write(Buffer.concat(batch));
  bytes += batchBytes;
  out.end();
  await once(out, 'finish');
  return { frames, bytes };
}
