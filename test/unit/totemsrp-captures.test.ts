/**
 * Every totemsrp message of every reference capture (samples/reference, extracted with tshark at
 * test time): decodes without error, re-encodes to the identical bytes, and does the same in the
 * other byte order (fields swapped by an independent helper). Ring ids agree with corosync's logs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { toHex } from '../../dissectors/bytes.ts';
import { WireError } from '../../dissectors/errors.ts';
import { decodeTotem, detectTotem, encodeTotem, encodedLength, formatRingId, totemSummary, type TotemMessage } from '../../dissectors/totemsrp/index.ts';
import { CAPTURE_DIR, TOTEM_CAPTURES, extractTotemFrames, extractUdpPayloads, loadFixture, type TotemFrame } from '../fixtures/totemsrp/frames.ts';
import { swapTotemBytes } from '../fixtures/totemsrp/swap.ts';

const ALL_KINDS = ['orf_token', 'mcast', 'memb_merge_detect', 'memb_join', 'memb_commit_token', 'token_hold_cancel'];

function asBigEndian(m: TotemMessage): TotemMessage {
  return { ...m, header: { ...m.header, littleEndian: false } };
}

for (const spec of TOTEM_CAPTURES) {
  describe(`${spec.file} (${spec.transport})`, () => {
    let frames: TotemFrame[] = [];
    const decoded: TotemMessage[] = [];

    before(() => {
      frames = extractTotemFrames(spec);
      for (const f of frames) {
        const m = decodeTotem(f.bytes);
        if (m instanceof WireError) assert.fail(`frame ${f.frame}: ${m.toString()}`);
        decoded.push(m);
      }
    });

    it('has totemsrp messages, every one decodes', () => {
      assert.ok(frames.length > 1000, `${frames.length} messages`);
      assert.equal(decoded.length, frames.length);
    });

    it('emit(parse(bytes)) === bytes for every message', () => {
      let bad = 0;
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        const m = decoded[i]!;
        assert.equal(encodedLength(m), f.bytes.length, `frame ${f.frame} length`);
        if (toHex(encodeTotem(m)) !== toHex(f.bytes)) {
          bad++;
          assert.fail(`frame ${f.frame} (${totemSummary(m)}) does not round-trip`);
        }
      }
      assert.equal(bad, 0);
    });

    it('byte-swapped (big-endian) copies decode to the same values and re-encode exactly', () => {
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        const m = decoded[i]!;
        const swapped = swapTotemBytes(f.bytes);
        const viaEmit = encodeTotem(asBigEndian(m));
        assert.equal(toHex(viaEmit), toHex(swapped), `frame ${f.frame}: emit with littleEndian=false equals the field-swapped bytes`);
        const back = decodeTotem(swapped);
        if (back instanceof WireError) assert.fail(`frame ${f.frame} swapped: ${back.toString()}`);
        assert.deepEqual(back, asBigEndian(m), `frame ${f.frame}`);
        assert.equal(toHex(encodeTotem(back)), toHex(swapped));
        // and back again to the original little-endian bytes
        assert.equal(toHex(swapTotemBytes(swapped)), toHex(f.bytes));
      }
    });

    it('the committed fixtures are these frames', () => {
      const fx = loadFixture(spec.file);
      assert.equal(fx.totalMessages, frames.length);
      const byFrame = new Map(frames.map((f) => [f.frame, f]));
      for (const x of fx.frames) assert.equal(x.hex, toHex(byFrame.get(x.frame)?.bytes ?? new Uint8Array(0)), `frame ${x.frame}`);
    });

    if (spec.transport === 'knet') {
      it('target_nodeid routes knet: set on ORF/commit tokens, 0 on broadcasts (wire-format.md §7.5)', () => {
        for (const m of decoded) {
          const unicast = m.kind === 'orf_token' || m.kind === 'memb_commit_token';
          if (unicast) assert.notEqual(m.header.targetNodeid, 0, totemSummary(m));
          else assert.equal(m.header.targetNodeid, 0, totemSummary(m));
        }
      });
    }

    if (spec.file === 'udpu.pcap' || spec.file === 'knet-plain.pcap') {
      it('has every message type', () => {
        assert.deepEqual(ALL_KINDS.filter((k) => !decoded.some((m) => m.kind === k)), []);
      });
    }

    const log = join(CAPTURE_DIR, spec.file.replace(/\.pcap$/, '.node1.log'));
    if (spec.file !== 'knet-hashonly.pcap') {
      it('every "A new membership (R) was formed" ring of the node log is on the wire', () => {
        const logged = [...readFileSync(log, 'utf8').matchAll(/A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/g)].map((x) => x[1]!);
        assert.ok(logged.length >= 2, `${logged.length} memberships in ${log}`);
        const tokenRings = new Set<string>();
        const commitRings = new Set<string>();
        const oldRings = new Set<string>();
        for (const m of decoded) {
          if (m.kind === 'orf_token') tokenRings.add(formatRingId(m.ringId));
          if (m.kind === 'memb_commit_token') {
            commitRings.add(formatRingId(m.ringId));
            for (const e of m.membList) if (e.ringId.rep !== 0) oldRings.add(formatRingId(e.ringId));
          }
        }
        for (const r of logged) {
          // Node 1's first ring has only node 1 in it: its token never leaves the host, but the
          // next commit token carries it as node 1's old ring.
          if (r === logged[0]) assert.ok(oldRings.has(r), `${r} as an old ring in a commit token`);
          else {
            assert.ok(commitRings.has(r), `${r} installed by a commit token`);
            assert.ok(tokenRings.has(r), `${r} carried by ORF tokens`);
          }
        }
        // and no ring on the wire that node 1 did not log (besides other nodes' single-node rings)
        for (const r of tokenRings) assert.ok(logged.includes(r), `token ring ${r} is in the log`);
        for (const r of commitRings) assert.ok(logged.includes(r), `commit ring ${r} is in the log`);
      });
    }
  });
}

describe('detectTotem and bad_magic on the raw UDP payloads of every capture', () => {
  const expect: Array<[file: string, want: string, guess: RegExp]> = [
    ['udpu.pcap', 'totem-v3', /./],
    ['udp.pcap', 'totem-v3', /./],
    ['knet-plain.pcap', 'knet-clear', /unencrypted knet/],
    ['knet-hashonly.pcap', 'knet-clear', /unencrypted knet/],
    ['legacy/corosync1-plain-2nodes.pcap', 'totem-v1-v2', /corosync 2\.0\/2\.1\/1\.x/],
  ];
  for (const [file, want, guess] of expect) {
    it(`${file}: every payload is ${want}`, () => {
      const payloads = extractUdpPayloads(file);
      assert.ok(payloads.length > 100);
      for (const p of payloads) {
        assert.equal(detectTotem(p.bytes), want, `frame ${p.frame}`);
        if (want === 'totem-v3') continue;
        const e = decodeTotem(p.bytes);
        assert.ok(e instanceof WireError, `frame ${p.frame}`);
        // corosync checks the length before the magic (a 9-byte knet PMTUD reply is "too short")
        if (p.bytes.length < 13) assert.equal(e.code, 'totemsrp.too_short', `frame ${p.frame}`);
        else {
          assert.equal(e.code, 'totemsrp.bad_magic', `frame ${p.frame}`);
          assert.match(e.message, guess);
        }
      }
    });
  }

  it('knet-aes256.pcap: encrypted payloads are never taken for Totem v3', () => {
    for (const p of extractUdpPayloads('knet-aes256.pcap')) {
      const d = detectTotem(p.bytes);
      if (d === 'totem-v3' || d === 'totem-v3-foreign-endian') {
        // 1 in 32768 random payloads starts with the magic: then it must still fail to decode or be tiny
        assert.ok(decodeTotem(p.bytes) instanceof WireError, `frame ${p.frame}`);
      }
    }
  });
});
