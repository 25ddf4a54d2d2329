/**
 * CaptureReader on real fixture files: formats and byte orders, chunking independence (property
 * test), truncated files, hostile framing, timestamps, and the writer round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { CaptureFormatError, CaptureReader, splitTimestamp, splitTimestampBig, tsOut, type CaptureRecord, type CaptureReaderOptions } from '../../dissectors/capture/index.ts';
import { readCaptureFile, readCaptureStream } from '../../src/sources/captureFile.ts';
import { pcapFileHeader, pcapngBlock, pcapngEpb, pcapngIdb, pcapngShb, pcapRecord, concatBytes } from '../../dissectors/capture/writer.ts';
import { putU32, toHex } from '../../dissectors/bytes.ts';
import { fixture } from '../fixtures/capture/oracle.ts';

/** A record reduced to owned values (data copied), comparable with deepEqual. */
interface Flat {
  number: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  interfaceId: number;
  data: string;
  origLen: number;
  fileOffset: number;
}

const flat = (r: CaptureRecord): Flat => ({
  number: r.number,
  tsSec: r.tsSec,
  tsNsec: r.tsNsec,
  linkType: r.linkType,
  interfaceId: r.interfaceId,
  data: toHex(r.data),
  origLen: r.origLen,
  fileOffset: r.fileOffset,
});

/** Reads `bytes` cut at `cuts`; returns the records and the error thrown (if any). */
function readChunks(bytes: Uint8Array, cuts: readonly number[], opts?: CaptureReaderOptions): { recs: Flat[]; err?: CaptureFormatError; reader: CaptureReader } {
  const reader = new CaptureReader(opts);
  const recs: Flat[] = [];
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const c of [...points, bytes.length]) {
      reader.push(bytes.subarray(prev, c), (r) => recs.push(flat(r)));
      prev = c;
    }
    reader.end();
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    return { recs, err: e, reader };
  }
  return { recs, reader };
}

const load = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));

test('formats and byte orders are detected', () => {
  const cases: [string, 'pcap' | 'pcapng', number][] = [
    ['udpu-eth.pcap', 'pcap', 1],
    ['udpu-eth-be.pcap', 'pcap', 1],
    ['udpu-eth-nsec.pcap', 'pcap', 1],
    ['net-any-sll2.pcap', 'pcap', 276],
    ['net-any-sll.pcapng', 'pcapng', 113],
    ['net-eth-be.pcapng', 'pcapng', 1],
    ['net-null-be.pcap', 'pcap', 0],
    ['net-loop.pcap', 'pcap', 108],
    ['net-raw.pcap', 'pcap', 101],
    ['net-ipv4.pcap', 'pcap', 228],
    ['net-ipv6.pcap', 'pcap', 229],
  ];
  for (const [name, format, linkType] of cases) {
    const { recs, err, reader } = readChunks(load(name), []);
    assert.equal(err, undefined, name);
    assert.equal(reader.format, format, name);
    assert.ok(recs.length > 0, name);
    assert.ok(recs.every((r) => r.linkType === linkType), `${name}: link type ${linkType}`);
    assert.equal(reader.bytesRead, load(name).length);
    assert.equal(reader.bytesConsumed, load(name).length);
  }
});

test('the same packets read identically in every byte order and format', () => {
  // udpu-eth-be.pcap holds the first 40 records of udpu-eth.pcap, re-framed big-endian.
  const le = readChunks(load('udpu-eth.pcap'), []).recs.slice(0, 40);
  const be = readChunks(load('udpu-eth-be.pcap'), []).recs;
  assert.equal(be.length, 40);
  for (let i = 0; i < 40; i++) {
    assert.deepEqual({ ...be[i], fileOffset: 0 }, { ...le[i], fileOffset: 0 });
  }
  // net-eth-be.pcapng (big-endian pcapng, ns) and net-eth-nsec.pcap (ns pcap) hold the same packets.
  const ns = readChunks(load('net-eth-nsec.pcap'), []).recs;
  const ng = readChunks(load('net-eth-be.pcapng'), []).recs;
  assert.deepEqual(
    ng.map((r) => [r.tsSec, r.tsNsec, r.data]),
    ns.map((r) => [r.tsSec, r.tsNsec, r.data]),
  );
  assert.ok(ns.some((r) => r.tsNsec % 1000 !== 0), 'nanosecond digits are kept');
});

test('multi-section pcapng: each section resets interfaces and byte order', () => {
  const { recs, err, reader } = readChunks(load('multi-section.pcapng'), []);
  assert.equal(err, undefined);
  const s = reader.summary();
  assert.equal(s.sections, 3);
  assert.deepEqual(
    s.interfaces.map((i) => [i.id, i.section, i.linkType, i.tsresol]),
    [
      [0, 0, 1, 6],
      [1, 1, 113, 9],
      [2, 2, 1, 9],
    ],
  );
  assert.deepEqual([...new Set(recs.map((r) => `${r.interfaceId}/${r.linkType}`))], ['0/1', '1/113', '2/1']);
  const parts = ['udpu-eth.pcapng', 'net-any-sll.pcapng', 'net-eth-be.pcapng'].map((n) => readChunks(load(n), []).recs);
  assert.equal(recs.length, parts.reduce((n, p) => n + p.length, 0));
  assert.deepEqual(
    recs.map((r) => r.data),
    parts.flat().map((r) => r.data),
  );
});

test('pcapng if_tsresol (2^-20, 10^-3) and if_tsoffset', () => {
  const src = readChunks(load('udpu-eth.pcap'), []).recs.slice(0, 30);
  const got = readChunks(load('udpu-tsres.pcapng'), []).recs;
  assert.equal(got.length, 30);
  got.forEach((r, i) => {
    const s = src[i]!;
    assert.equal(r.interfaceId, i & 1);
    assert.equal(r.tsSec, s.tsSec);
    if (i & 1) assert.equal(r.tsNsec, Math.floor(s.tsNsec / 1e6) * 1e6, 'ms resolution, offset added back');
    else {
      const units = Math.floor((s.tsNsec * 2 ** 20) / 1e9);
      assert.equal(r.tsNsec, Math.floor((units * 1e9) / 2 ** 20), '2^-20 s resolution');
    }
  });
});

test('SPB: no timestamp, captured length limited by the interface snaplen', () => {
  const { recs } = readChunks(load('udpu-spb.pcapng'), []);
  assert.equal(recs.length, 15);
  assert.ok(recs.every((r) => r.tsSec === 0 && r.tsNsec === 0 && r.data.length / 2 === Math.min(128, r.origLen)));
  assert.ok(recs.some((r) => r.origLen > 128));
});

test('splitTimestamp is exact against BigInt arithmetic', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 9 }), (hi, lo, k) => {
      splitTimestamp(hi, lo, 10 ** k, 10 ** (9 - k));
      const a = { ...tsOut };
      splitTimestampBig(hi, lo, 10n ** BigInt(k));
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      assert.equal(BigInt(a.nsec), ((t % 10n ** BigInt(k)) * 10n ** BigInt(9 - k)));
      assert.equal(a.nsec, tsOut.nsec);
      if (t / 10n ** BigInt(k) <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(BigInt(a.sec), t / 10n ** BigInt(k));
    }),
    { numRuns: 3000 },
  );
});

test('any chunking of a real file yields identical records (property)', () => {
  for (const name of ['udpu-eth.pcap', 'multi-section.pcapng', 'net-eth-be.pcapng', 'udpu-eth-nsec.pcap']) {
    const bytes = load(name);
    const whole = readChunks(bytes, []).recs;
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
        const r = readChunks(bytes, cuts);
        assert.equal(r.err, undefined);
        assert.deepEqual(r.recs, whole);
      }),
      { numRuns: 40 },
    );
    // Byte by byte, the extreme case.
    const oneByOne = readChunks(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    );
    assert.deepEqual(oneByOne.recs, whole, `${name} byte by byte`);
  }
});

test('reuseRecord: one object for every record, with the values a fresh record would have', () => {
  for (const name of ['udpu-eth.pcap', 'multi-section.pcapng', 'net-eth-be.pcapng', 'udpu-eth-nsec.pcap']) {
    const bytes = load(name);
    const fresh = readChunks(bytes, []).recs;
    // Cut into chunks so that records split across chunks (copied into the carry) are covered too.
    const cuts = Array.from({ length: 20 }, (_, i) => Math.floor(((i + 1) * bytes.length) / 21) + 3);
    const shared = readChunks(bytes, cuts, { reuseRecord: true });
    assert.equal(shared.err, undefined);
    assert.deepEqual(shared.recs, fresh, name);
    const seen = new Set<CaptureRecord>();
    new CaptureReader({ reuseRecord: true }).push(bytes, (r) => seen.add(r));
    assert.equal(seen.size, 1, `${name}: one record object`);
    const distinct = new Set<CaptureRecord>();
    new CaptureReader().push(bytes, (r) => distinct.add(r));
    assert.equal(distinct.size, fresh.length, `${name}: without reuseRecord each record is its own object`);
  }
});

test('truncated pcap: every complete record, then pcap.truncated_record at the cut record', () => {
  const bytes = load('truncated.pcap');
  const full = readChunks(load('udpu-eth.pcap'), []).recs;
  const { recs, err, reader } = readChunks(bytes, [777, 5000]);
  assert.ok(err);
  assert.equal(err.code, 'pcap.truncated_record');
  const cut = full[recs.length]!;
  assert.equal(err.offset, cut.fileOffset, 'offset of the record the file ends in');
  assert.ok(err.offset < bytes.length && cut.fileOffset + 16 + cut.data.length / 2 > bytes.length);
  assert.deepEqual(recs, full.slice(0, recs.length));
  assert.match(err.message, new RegExp(`record ${recs.length + 1} starts here but the input ends ${bytes.length - err.offset} bytes into it`));
  assert.match(err.message, new RegExp(`${recs.length} complete records read`));
  assert.equal(reader.recordsRead, recs.length);
  // Same records, same error, whatever the chunking.
  const again = readChunks(bytes, Array.from({ length: 50 }, (_, i) => i * 199));
  assert.deepEqual(again.recs, recs);
  assert.equal(again.err?.offset, err.offset);
  // The reader stays failed.
  assert.throws(() => reader.push(new Uint8Array(4), () => {}), CaptureFormatError);
});

test('truncated pcapng: every complete block, then pcapng.truncated_block', () => {
  const bytes = load('truncated.pcapng');
  const full = readChunks(load('udpu-eth.pcapng'), []).recs;
  const { recs, err } = readChunks(bytes, []);
  assert.ok(err);
  assert.equal(err.code, 'pcapng.truncated_block');
  assert.ok(recs.length > 0);
  assert.deepEqual(recs, full.slice(0, recs.length));
  assert.equal(err.offset, full[recs.length]!.fileOffset);
});

test('truncated inside the file header, and empty input', () => {
  const bytes = load('udpu-eth.pcap');
  for (const n of [0, 3]) {
    const { err } = readChunks(bytes.subarray(0, n), []);
    assert.equal(err?.code, 'capture.empty', `${n} bytes`);
  }
  assert.equal(readChunks(bytes.subarray(0, 23), []).err?.code, 'pcap.truncated_file_header');
  assert.equal(readChunks(bytes.subarray(0, 24), []).err, undefined, 'header only: a valid empty capture');
  assert.equal(readChunks(load('udpu-eth.pcapng').subarray(0, 10), []).err?.code, 'pcapng.truncated_block');
});

test('readCaptureFile and readCaptureStream deliver the same records', async () => {
  const recs: Flat[] = [];
  const summary = await readCaptureFile(fixture('multi-section.pcapng'), (r) => recs.push(flat(r)));
  assert.equal(summary.format, 'pcapng');
  assert.equal(summary.records, recs.length);
  assert.equal(summary.bytes, load('multi-section.pcapng').length);
  assert.deepEqual(recs, readChunks(load('multi-section.pcapng'), []).recs);
  const streamed: Flat[] = [];
  const bytes = load('udpu-eth.pcap');
  const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
  await readCaptureStream(Readable.from(chunks), (r) => streamed.push(flat(r)));
  assert.deepEqual(streamed, readChunks(bytes, []).recs);
  await assert.rejects(readCaptureFile(fixture('truncated.pcap'), () => {}), (e: unknown) => e instanceof CaptureFormatError && e.code === 'pcap.truncated_record');
});

test('the writer re-creates a real pcap byte for byte', () => {
  const bytes = load('udpu-eth.pcap');
  const parts: Uint8Array[] = [pcapFileHeader({ littleEndian: true, nano: false, snaplen: 262144, linkType: 1 })];
  const r = new CaptureReader();
  r.push(bytes, (x) => parts.push(pcapRecord({ littleEndian: true, nano: false }, x.tsSec, x.tsNsec, x.data, x.origLen)));
  r.end();
  assert.deepEqual(concatBytes(parts), bytes);
});

// ---- hostile framing ----

function expectError(bytes: Uint8Array, code: string, offset: number, opts?: CaptureReaderOptions): Flat[] {
  const whole = readChunks(bytes, [], opts);
  assert.equal(whole.err?.code, code, `expected ${code}, got ${whole.err?.message ?? 'no error'}`);
  assert.equal(whole.err?.offset, offset, whole.err?.message);
  const split = readChunks(bytes, Array.from({ length: 30 }, (_, i) => i * 7 + 1), opts);
  assert.equal(split.err?.code, code, 'same error when chunked');
  assert.equal(split.err?.offset, offset);
  assert.deepEqual(split.recs, whole.recs);
  return whole.recs;
}

const pkt = Uint8Array.from({ length: 60 }, (_, i) => i);
const shb = pcapngShb(true);
const idb = pcapngIdb(true, { linkType: 1, snaplen: 65535 });
const epb = pcapngEpb(true, 0, 1_000_000n, pkt);

test('pcap: caplen above snaplen or the maximum is rejected without allocating', () => {
  const hdr = pcapFileHeader({ littleEndian: true, nano: false, snaplen: 100, linkType: 1 });
  const good = pcapRecord({ littleEndian: true, nano: false }, 1, 0, pkt);
  const bad = pcapRecord({ littleEndian: true, nano: false }, 2, 0, pkt);
  putU32(bad, 8, 101, true);
  assert.equal(expectError(concatBytes([hdr, good, bad]), 'pcap.record_too_long', 24 + good.length + 8).length, 1);
  const hdr2 = pcapFileHeader({ littleEndian: false, nano: true, snaplen: 0x7fffffff, linkType: 1 });
  const huge = pcapRecord({ littleEndian: false, nano: true }, 2, 0, pkt);
  putU32(huge, 8, 0xfffffff0, false);
  expectError(concatBytes([hdr2, huge]), 'pcap.record_too_long', 24 + 8);
  expectError(concatBytes([hdr2, pcapRecord({ littleEndian: false, nano: true }, 2, 0, new Uint8Array(2000))]), 'pcap.record_too_long', 24 + 8, { maxRecordLength: 1500 });
});

test('unknown magic and unsupported versions', () => {
  expectError(new TextEncoder().encode('GIF89a..........................'), 'capture.unknown_format', 0);
  const hdr = pcapFileHeader({ littleEndian: true, nano: false, snaplen: 100, linkType: 1 });
  hdr[4] = 3;
  expectError(hdr, 'pcap.unsupported_version', 4);
  const v2 = pcapngShb(false);
  v2[12] = 0;
  v2[13] = 2;
  expectError(v2, 'pcapng.unsupported_version', 12);
});

test('pcapng: bad block lengths (zero, < 12, not a multiple of 4, huge) are framing errors', () => {
  const base = shb.length + idb.length + epb.length;
  for (const len of [0, 8, 13, 0x7ffffffc, 0xfffffff0]) {
    const blk = new Uint8Array(16);
    putU32(blk, 0, 0x80000001, true);
    putU32(blk, 4, len, true);
    const recs = expectError(concatBytes([shb, idb, epb, blk]), 'pcapng.bad_block_length', base + 4);
    assert.equal(recs.length, 1, 'the EPB before it is delivered');
  }
  // The limit is an option: a 64 KiB block is refused at 32 KiB.
  const big = pcapngBlock(0x80000001, new Uint8Array(65536), true);
  expectError(concatBytes([shb, big]), 'pcapng.bad_block_length', shb.length + 4, { maxBlockLength: 32768 });
});

test('pcapng: trailing length mismatch, bad byte-order magic, no SHB first', () => {
  const bad = epb.slice();
  putU32(bad, bad.length - 4, bad.length + 4, true);
  expectError(concatBytes([shb, idb, epb, bad]), 'pcapng.block_length_mismatch', shb.length + idb.length + epb.length + bad.length - 4);
  const bom = pcapngShb(true);
  putU32(bom, 8, 0x11223344, true);
  expectError(bom, 'pcapng.bad_byte_order_magic', 8);
  // A second section with a bad magic after good records.
  expect2ndSection();
  function expect2ndSection(): void {
    const recs = expectError(concatBytes([shb, idb, epb, bom]), 'pcapng.bad_byte_order_magic', shb.length + idb.length + epb.length + 8);
    assert.equal(recs.length, 1);
  }
});

test('pcapng: packet blocks naming unknown interfaces or overrunning their block', () => {
  expectError(concatBytes([shb, epb]), 'pcapng.bad_interface_id', shb.length + 8);
  expectError(concatBytes([shb, idb, pcapngEpb(true, 1, 0n, pkt)]), 'pcapng.bad_interface_id', shb.length + idb.length + 8);
  // A new section forgets the interfaces of the previous one.
  expectError(concatBytes([shb, idb, epb, shb, epb]), 'pcapng.bad_interface_id', 2 * shb.length + idb.length + epb.length + 8);
  const over = epb.slice();
  putU32(over, 20, 61, true);
  expectError(concatBytes([shb, idb, over]), 'pcapng.bad_captured_length', shb.length + idb.length + 20);
  const short = pcapngBlock(6, new Uint8Array(8), true);
  expectError(concatBytes([shb, idb, short]), 'pcapng.block_too_short', shb.length + idb.length + 4);
  expectError(concatBytes([shb, idb, pcapngEpb(true, 0, 0n, new Uint8Array(3000))]), 'pcapng.record_too_long', shb.length + idb.length + 20, { maxRecordLength: 2000 });
});

test('pcapng: an option running past its block is an error; unknown blocks are skipped', () => {
  const idbBad = idb.slice();
  // options start at byte 16 of the IDB body; give the first option a length past the block end
  const withOpt = pcapngIdb(true, { linkType: 1, snaplen: 65535, tsresol: 9 });
  withOpt.set(idbBad.subarray(0, 0), 0);
  putU32(withOpt, 16, 9 | (200 << 16), true);
  expectError(concatBytes([shb, withOpt]), 'pcapng.bad_option', shb.length + 16);
  const unknown = pcapngBlock(0x0badf00d, new Uint8Array(40).fill(0xee), true);
  const { recs, err } = readChunks(concatBytes([shb, unknown, idb, unknown, epb, unknown]), []);
  assert.equal(err, undefined);
  assert.equal(recs.length, 1);
});

test('the carry buffer stays bounded by the largest record, not by the input', () => {
  // 2000 records pushed 3 bytes at a time: memory held between pushes is one record at most.
  const hdr = pcapFileHeader({ littleEndian: true, nano: false, snaplen: 65535, linkType: 1 });
  const rec = pcapRecord({ littleEndian: true, nano: false }, 1, 0, pkt);
  const bytes = concatBytes([hdr, ...Array.from({ length: 2000 }, () => rec)]);
  const r = new CaptureReader();
  let n = 0;
  let maxCarry = 0;
  for (let o = 0; o < bytes.length; o += 3) {
    r.push(bytes.subarray(o, o + 3), () => n++);
    maxCarry = Math.max(maxCarry, (r as unknown as { carry: Uint8Array }).carry.length);
  }
  r.end();
  assert.equal(n, 2000);
  assert.ok(maxCarry <= 2 * rec.length, `carry grew to ${maxCarry}`);
});

test("readCaptureFile('-') reads standard input (as in tcpdump -w - | totemscope read -)", async () => {
  const { spawn } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const mod = pathToFileURL(new URL('../../src/sources/captureFile.ts', import.meta.url).pathname).href;
  const script = `const m = await import(${JSON.stringify(mod)}); let n = 0; const s = await m.readCaptureFile('-', () => n++); console.log(JSON.stringify({ n, format: s.format, bytes: s.bytes }));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const bytes = load('net-any-sll2.pcap');
  // Written in small pieces, like a live pipe.
  for (let o = 0; o < bytes.length; o += 1000) child.stdin.write(bytes.subarray(o, o + 1000));
  child.stdin.end();
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), { n: readChunks(bytes, []).recs.length, format: 'pcap', bytes: bytes.length });
});

test('bounded interface table; a throwing callback stops the reader for good', () => {
  const many = concatBytes([shb, ...Array.from({ length: 5 }, () => idb)]);
  expectError(many, 'pcapng.too_many_interfaces', shb.length + 4 * idb.length, { maxInterfaces: 4 });
  const r = new CaptureReader();
  assert.throws(
    () =>
      r.push(concatBytes([shb, idb, epb, epb]), () => {
        throw new RangeError('consumer failed');
      }),
    RangeError,
  );
  assert.throws(() => r.push(epb, () => {}), /cannot resume/);
  assert.throws(() => r.end(), /cannot resume/);
});

test('records of one push() stay intact after it returns (batch decoding), across every chunk split', () => {
  for (const file of ['test/fixtures/capture/udpu-eth.pcap', 'test/fixtures/capture/udpu-eth.pcapng', 'test/fixtures/capture/multi-section.pcapng']) {
    const bytes = new Uint8Array(readFileSync(file));
    const whole: string[] = [];
    new CaptureReader().push(bytes, (r) => whole.push(toHex(r.data)));
    for (const size of [7, 61, 200, 1500]) {
      const seen: string[] = [];
      const reader = new CaptureReader();
      for (let o = 0; o < bytes.length; o += size) {
        // A fresh copy per push, kept alive: only the reader's own buffers are under test.
        const batch: CaptureRecord[] = [];
        reader.push(bytes.slice(o, o + size), (r) => batch.push(r));
        for (const r of batch) seen.push(toHex(r.data));
      }
      reader.end();
      assert.deepEqual(seen, whole, `${file} in chunks of ${size}`);
    }
  }
});
