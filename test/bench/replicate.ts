/**
 * Builds a large benchmark capture from a real one: the source's records repeated until at least
 * `minFrames` are written, each copy shifted in time past the previous one so the file stays a
 * plausible, monotonic capture. Output is classic little-endian pcap (µs or ns as the source).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type CaptureRecord } from '../../dissectors/capture/index.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';

interface HeldRecord {
  readonly sec: number;
  readonly nsec: number;
  readonly origLen: number;
  readonly data: Uint8Array;
}

export async function replicateCapture(src: string, dst: string, minFrames: number): Promise<{ frames: number; bytes: number }> {
  const records: HeldRecord[] = [];
  let linkType = -1;
  await readCaptureFile(src, (r: CaptureRecord) => {
    if (linkType === -1) linkType = r.linkType;
    if (r.linkType !== linkType) throw new Error('replicate: source mixes link types');
    records.push({ sec: r.tsSec, nsec: r.tsNsec, origLen: r.origLen, data: r.data.slice() });
  });
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
      const t = BigInt(r.sec) * 1_000_000_000n + BigInt(r.nsec) + shift;
      const rh = Buffer.alloc(16);
      rh.writeUInt32LE(Number(t / 1_000_000_000n), 0);
      rh.writeUInt32LE(Number(t % 1_000_000_000n), 4);
      rh.writeUInt32LE(r.data.length, 8);
      rh.writeUInt32LE(r.origLen, 12);
      batch.push(rh, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
      batchBytes += 16 + r.data.length;
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
