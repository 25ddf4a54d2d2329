/**
 * Hostile input for the capture reader and the link/IP/UDP decoder: random bytes and mutated real
 * files into CaptureReader (only CaptureFormatError, bounded buffering, same result whatever the
 * chunking), random and mutated real frames into NetDecoder (never throws, only NetResult values,
 * reassembly state bounded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { CaptureFormatError, CaptureReader, CAPTURE_ERROR_CODES, type CaptureRecord } from '../../dissectors/capture/index.ts';
import { NET_ERROR_CODES, NetDecoder, netTree, type NetResult } from '../../dissectors/net.ts';
import { WireError } from '../../dissectors/errors.ts';
import { completeFixtures, fixture } from '../fixtures/capture/oracle.ts';

const MAX_BLOCK = 1 << 16;
const MAX_RECORD = 1 << 15;

interface Outcome {
  records: string[];
  error?: string;
  maxCarry: number;
}

function feed(bytes: Uint8Array, cuts: readonly number[]): Outcome {
  const reader = new CaptureReader({ maxBlockLength: MAX_BLOCK, maxRecordLength: MAX_RECORD, maxInterfaces: 64 });
  const records: string[] = [];
  let maxCarry = 0;
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let prev = 0;
  const onRecord = (r: CaptureRecord): void => {
    assert.ok(r.data.length <= MAX_RECORD);
    assert.ok(Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9, `tsNsec ${r.tsNsec}`);
    records.push(`${r.number}/${r.fileOffset}/${r.interfaceId}/${r.linkType}/${r.data.length}/${r.tsSec}.${r.tsNsec}`);
  };
  try {
    for (const c of [...points, bytes.length]) {
      reader.push(bytes.subarray(prev, c), onRecord);
      maxCarry = Math.max(maxCarry, (reader as unknown as { carry: Uint8Array }).carry.length);
      prev = c;
    }
    reader.end();
  } catch (e) {
    assert.ok(e instanceof CaptureFormatError, `only CaptureFormatError may escape, got ${String(e)}`);
    assert.ok((CAPTURE_ERROR_CODES as readonly string[]).includes(e.code));
    assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} within the input`);
    return { records, error: `${e.code}@${e.offset}`, maxCarry };
  }
  return { records, maxCarry };
}

const realFiles = completeFixtures().map((n) => new Uint8Array(readFileSync(fixture(n))));

test('random bytes: only CaptureFormatError, bounded carry, chunking does not matter', () => {
  const header = fc.constantFrom(
    Uint8Array.of(),
    Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0),
    Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4),
    Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a),
    Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d),
  );
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 3100 }), { maxLength: 12 }), (h, body, cuts) => {
      const bytes = new Uint8Array(h.length + body.length);
      bytes.set(h);
      bytes.set(body, h.length);
      const a = feed(bytes, []);
      const b = feed(bytes, cuts);
      assert.deepEqual(b.records, a.records);
      assert.equal(b.error, a.error);
      assert.ok(b.maxCarry <= MAX_BLOCK + 64);
    }),
    { numRuns: 400 },
  );
});

test('mutated real files: only CaptureFormatError, same outcome whatever the chunking', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: realFiles.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat()),
      fc.array(fc.nat(), { maxLength: 10 }),
      (fileIndex, mutations, cutAt, cuts) => {
        const src = realFiles[fileIndex]!;
        let bytes = src.slice();
        // Mutations aimed at the first bytes hit headers most of the time.
        for (const [pos, v] of mutations) bytes[pos % Math.min(bytes.length, pos % 2 ? 200 : bytes.length)] = v;
        if (cutAt !== null) bytes = bytes.subarray(0, cutAt % (bytes.length + 1));
        const a = feed(bytes, []);
        const b = feed(
          bytes,
          cuts.map((c) => c % (bytes.length + 1)),
        );
        assert.deepEqual(b.records, a.records);
        assert.equal(b.error, a.error);
        assert.ok(b.maxCarry <= MAX_BLOCK + 64);
      },
    ),
    { numRuns: 300 },
  );
});

function checkResult(r: NetResult, capLen: number): void {
  if (r instanceof WireError) {
    assert.ok((NET_ERROR_CODES as readonly string[]).includes(r.code), r.code);
    assert.ok(Number.isInteger(r.offset) && r.offset >= 0 && r.offset <= Math.max(capLen, 65536), `offset ${r.offset}`);
    return;
  }
  switch (r.kind) {
    case 'udp': {
      const d = r.datagram;
      assert.ok(d.src.length === (d.ipVersion === 4 ? 4 : 16) && d.dst.length === d.src.length);
      assert.equal(d.payload.length, d.udpLength - 8);
      if (d.payloadOffset >= 0) assert.ok(d.payloadOffset + d.payload.length <= capLen);
      break;
    }
    case 'fragment':
    case 'ignored':
      break;
    default:
      assert.fail(`unknown result ${JSON.stringify(r)}`);
  }
}

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

test('random frames into NetDecoder: never throws, only NetResult values, bounded reassembly', () => {
  const nd = new NetDecoder({ reassembly: { maxDatagrams: 16, maxBufferedBytes: 1 << 18, timeoutSec: 5 } });
  let n = 0;
  // Random bytes behind plausible link/IP headers, so the deeper layers are reached.
  const frame = fc.tuple(
    fc.constantFrom(...LINK_TYPES),
    fc.constantFrom(Uint8Array.of(), Uint8Array.of(0x45, 0, 0, 60, 0, 1, 0x20, 0, 64, 17), Uint8Array.of(0x60, 0, 0, 0, 0, 40, 44, 64)),
    fc.uint8Array({ maxLength: 200 }),
    fc.nat({ max: 100 }),
    fc.nat({ max: 40 }),
  );
  fc.assert(
    fc.property(frame, ([linkType, ipHead, body, extra, ts]) => {
      const linkLen = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : linkType === 0 || linkType === 108 ? 4 : 0;
      const data = new Uint8Array(linkLen + ipHead.length + body.length);
      if (linkType === 1) data.set([0x08, ipHead[0] === 0x60 ? 0xdd : 0x00], 12);
      if (linkType === 1 && ipHead[0] === 0x60) data[12] = 0x86;
      if (linkType === 0 || linkType === 108) data[3] = ipHead[0] === 0x60 ? 24 : 2;
      data.set(ipHead, linkLen);
      data.set(body, linkLen + ipHead.length);
      const rec: CaptureRecord = { number: ++n, tsSec: 1000 + ts, tsNsec: 0, linkType, interfaceId: 0, data, origLen: data.length + (extra > 90 ? extra : 0), fileOffset: 0 };
      const r = nd.decode(rec);
      checkResult(r, data.length);
      netTree(rec, r); // the -V tree never throws either
      assert.ok(nd.inFlight <= 16);
    }),
    { numRuns: 3000 },
  );
  for (const x of nd.flushIncomplete()) assert.ok(x.frames.length > 0);
});

test('mutated real frames into NetDecoder: never throws', () => {
  const frames: CaptureRecord[] = [];
  for (const name of ['net-eth-nsec.pcap', 'net-any-sll2.pcap', 'net-any-sll.pcapng', 'udpu-eth.pcap', 'net-vlan.pcap', 'net-ipv6.pcap']) {
    const r = new CaptureReader();
    r.push(readFileSync(fixture(name)), (x) =>
      frames.push({ number: x.number, tsSec: x.tsSec, tsNsec: x.tsNsec, linkType: x.linkType, interfaceId: 0, data: x.data.slice(), origLen: x.origLen, fileOffset: 0 }),
    );
    r.end();
  }
  const nd = new NetDecoder({ reassembly: { maxDatagrams: 8 } });
  fc.assert(
    fc.property(fc.nat({ max: frames.length - 1 }), fc.array(fc.tuple(fc.nat({ max: 80 }), fc.nat({ max: 255 })), { maxLength: 6 }), fc.nat(), (i, muts, cut) => {
      const f = frames[i]!;
      const data = f.data.slice(0, cut % 3 === 0 ? cut % (f.data.length + 1) : f.data.length);
      for (const [p, v] of muts) if (p < data.length) data[p] = v;
      const rec = { ...f, data };
      const r = nd.decode(rec);
      checkResult(r, data.length);
      netTree(rec, r);
      assert.ok(nd.inFlight <= 8);
    }),
    { numRuns: 3000 },
  );
  nd.flushIncomplete();
});
