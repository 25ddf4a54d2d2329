/**
 * Every fixture capture, read by CaptureReader and decoded by NetDecoder, checked frame by frame
 * against tshark: frame count, time (ns), lengths, interface, IP addresses, UDP ports and length,
 * and the frames a reassembled datagram came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CaptureReader, type CaptureRecord } from '../../dissectors/capture/index.ts';
import { formatEpoch, formatIp, NetDecoder, type NetResult } from '../../dissectors/net.ts';
import { WireError } from '../../dissectors/errors.ts';
import { completeFixtures, fixture, tshark } from '../fixtures/capture/oracle.ts';

interface Row {
  rec: Omit<CaptureRecord, 'data'> & { capLen: number };
  net: NetResult;
}

/** Rows, and per global interface id the id within its section (what tshark shows as frame.interface_id). */
function decodeFile(path: string, chunk: number): { rows: Row[]; localId: number[] } {
  const bytes = readFileSync(path);
  const reader = new CaptureReader();
  const nd = new NetDecoder();
  const rows: Row[] = [];
  const onRecord = (r: CaptureRecord): void => {
    const net = nd.decode(r);
    // Keep only what survives the callback (data is a view).
    rows.push({
      rec: { number: r.number, tsSec: r.tsSec, tsNsec: r.tsNsec, linkType: r.linkType, interfaceId: r.interfaceId, origLen: r.origLen, fileOffset: r.fileOffset, capLen: r.data.length },
      net:
        net instanceof WireError || net.kind !== 'udp'
          ? net
          : {
              kind: 'udp',
              datagram: {
                ipVersion: net.datagram.ipVersion,
                srcPort: net.datagram.srcPort,
                dstPort: net.datagram.dstPort,
                payloadOffset: net.datagram.payloadOffset,
                udpLength: net.datagram.udpLength,
                reassembledFrom: net.datagram.reassembledFrom,
                ttl: net.datagram.ttl,
                src: net.datagram.src.slice(),
                dst: net.datagram.dst.slice(),
                payload: net.datagram.payload.slice(),
                srcText: net.datagram.srcText,
                dstText: net.datagram.dstText,
              },
            },
    });
  };
  for (let o = 0; o < bytes.length; o += chunk) reader.push(bytes.subarray(o, o + chunk), onRecord);
  reader.end();
  const localId = reader.interfaces.map((i) => i.id - reader.interfaces.findIndex((j) => j.section === i.section));
  return { rows, localId };
}

const files = completeFixtures();

test('there are fixtures of every kind', () => {
  assert.ok(files.length >= 18, `found ${files.length} fixtures`);
});

for (const name of files) {
  test(`${name}: records and UDP datagrams match tshark`, () => {
    const expected = tshark(fixture(name));
    // An odd chunk size so that records straddle chunk boundaries.
    const { rows, localId } = decodeFile(fixture(name), 4093);
    assert.equal(rows.length, expected.length, 'frame count');
    assert.ok(rows.length > 0);
    let udp = 0;
    for (let i = 0; i < rows.length; i++) {
      const { rec, net } = rows[i]!;
      const t = expected[i]!;
      const where = `${name} frame ${t.number}`;
      assert.equal(rec.number, t.number, where);
      if (t.timeEpoch !== '') assert.equal(formatEpoch(rec.tsSec, rec.tsNsec), t.timeEpoch, `${where} time`);
      else assert.deepEqual([rec.tsSec, rec.tsNsec], [0, 0], `${where}: no timestamp (SPB)`);
      assert.equal(rec.capLen, t.capLen, `${where} cap_len`);
      assert.equal(rec.origLen, t.len, `${where} len`);
      assert.equal(localId[rec.interfaceId], t.interfaceId, `${where} interface_id (within its section)`);

      const isUdp = t.udpSrcPort.length > 0 && !t.icmp;
      if (rec.capLen < rec.origLen && isUdp && rec.capLen < 14 + 20 + 8 + (t.udpLength.length ? Number(t.udpLength[0]) - 8 : 0)) {
        assert.ok(net instanceof WireError && net.code === 'ip.captured_truncated', `${where}: cut by snaplen => ip.captured_truncated, got ${String(net)}`);
        continue;
      }
      assert.ok(!(net instanceof WireError), `${where}: unexpected ${String(net)}`);
      if (!isUdp) {
        assert.notEqual(net.kind, 'udp', `${where}: tshark sees no UDP datagram here`);
        if (t.icmp || (t.ipProto.length === 0 && t.ipv6Src.length === 0)) assert.equal(net.kind, 'ignored', where);
        continue;
      }
      assert.equal(net.kind, 'udp', `${where}: expected a UDP datagram, got ${JSON.stringify(net)}`);
      if (net.kind !== 'udp') continue;
      udp++;
      const d = net.datagram;
      const src = d.ipVersion === 4 ? t.ipSrc[0] : t.ipv6Src[0];
      const dst = d.ipVersion === 4 ? t.ipDst[0] : t.ipv6Dst[0];
      assert.equal(formatIp(d.src), src, `${where} src`);
      assert.equal(formatIp(d.dst), dst, `${where} dst`);
      assert.equal(d.srcText, src, `${where} srcText`);
      assert.equal(d.dstText, dst, `${where} dstText`);
      assert.equal(d.srcPort, Number(t.udpSrcPort[0]), `${where} srcport`);
      assert.equal(d.dstPort, Number(t.udpDstPort[0]), `${where} dstport`);
      assert.equal(d.udpLength, Number(t.udpLength[0]), `${where} udp.length`);
      assert.equal(d.payload.length, d.udpLength - 8, `${where} payload length`);
      if (t.fragments.length > 0) {
        assert.deepEqual(d.reassembledFrom, t.fragments, `${where} fragments`);
        assert.equal(d.payloadOffset, -1);
      } else {
        assert.equal(d.reassembledFrom, undefined, where);
        assert.ok(d.payloadOffset > 0 && d.payloadOffset + d.payload.length <= rec.capLen, where);
      }
    }
    assert.ok(udp > 0, `${name}: some UDP datagrams`);
  });
}
