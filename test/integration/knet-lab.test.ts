/**
 * Real 3-node corosync 3.1.7 / knet 1.25 clusters (test/lab): every crypto mode corosync users run
 * and every compression model, under CPG load with messages larger than the knet MTU. The capture
 * must decode with zero undecoded or malformed knet packets, no incomplete reassembly, every
 * delivered message must decode as totemsrp (decodeTotem), and the ring id corosync reports must be in the tokens.
 * Fails (does not skip) without root, corosync, tcpdump or tshark (requireLabPrerequisites).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { KnetDecoder } from '../../dissectors/knet/decoder.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';
import { readUdpCapture } from '../fixtures/knet/capture.ts';
import { requireLabPrerequisites, withLab, type LabOptions } from '../lab/index.ts';

requireLabPrerequisites();

interface Outcome {
  readonly decoder: KnetDecoder;
  /** The same capture read with a wrong key (crypto cases only). */
  readonly wrongKey?: KnetDecoder;
  readonly packets: number;
  readonly messages: number;
  readonly ringIds: Set<string>;
  readonly ring: string;
}

async function runCluster(opts: LabOptions): Promise<Outcome> {
  return withLab({ nodes: 3, transport: 'knet', ...opts }, async (lab) => {
    await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    const clients = await Promise.all(
      lab.nodeIds.map((n) => lab.cpgClient(n, { count: 8, sizes: [150, 3000, [400, 5000]], waitMembers: 3, expect: 24, pattern: 'text' })),
    );
    await Promise.all(clients.map((c) => c.wait(90_000)));
    // The ring corosync reports once the load is delivered, while the capture still runs.
    const ring = await lab.waitForRing();
    const pcap = await lab.stopCapture();
    const decoder = new KnetDecoder({ keys: lab.authkey ? [lab.authkey] : [] });
    const ringIds = new Set<string>();
    let messages = 0;
    const captured = readUdpCapture(pcap);
    for (const p of captured) {
      const r = decoder.decode(p.payload, p.meta);
      if (r.kind === 'error') assert.fail(`frame ${p.frame}: ${r.error.toString()}`);
      assert.deepEqual(r.expired, [], `frame ${p.frame}: incomplete reassembly`);
      if (r.kind === 'data' && r.status === 'complete') {
        const t = decodeTotem(r.userData!);
        assert.ok(!(t instanceof WireError), `frame ${p.frame}: ${String(t)}`);
        messages++;
        if (t.kind === 'orf_token') ringIds.add(formatRingId(t.ringId));
      }
    }
    // Only a message cut by the end of the capture itself may be left open.
    const last = captured[captured.length - 1]?.timeNs ?? 0n;
    const open = decoder.flush().filter((i) => last - i.lastTimeNs > 200_000_000n);
    assert.deepEqual(open.map((i) => `node ${i.srcNode} seq ${i.seqNum} missing ${i.missing.join(',')}`), [], 'incomplete reassemblies');
    if (!lab.authkey) return { decoder, packets: captured.length, messages, ringIds, ring };
    const wrong = Buffer.from(lab.authkey);
    wrong[7] = wrong[7]! ^ 0x01;
    const wrongKey = new KnetDecoder({ keys: [wrong] });
    for (const p of captured) wrongKey.decode(p.payload, p.meta);
    return { decoder, wrongKey, packets: captured.length, messages, ringIds, ring };
  });
}

function assertClean(o: Outcome, requireFragments = true): void {
  assert.ok(o.packets > 100, `${o.packets} packets captured`);
  assert.equal(o.decoder.counters.errors, 0, JSON.stringify(o.decoder.counters.errorsByCode));
  assert.equal(o.decoder.counters.decoded, o.packets);
  // Compressed text rarely exceeds the MTU any more: fragmentation is only required uncompressed.
  if (requireFragments) assert.ok(o.decoder.counters.reassembled > 0, 'fragmented CPG messages were reassembled');
  assert.ok(o.ringIds.has(o.ring), `ring ${o.ring} (corosync-quorumtool) in tokens ${[...o.ringIds].join(' ')}`);
}

const cryptoCases: { name: string; crypto?: LabOptions['crypto']; expect: { cipher: string; hash: string } | null }[] = [
  { name: 'crypto none/none (cleartext knet)', expect: null },
  { name: 'aes256/sha256', crypto: { cipher: 'aes256', hash: 'sha256' }, expect: { cipher: 'aes256', hash: 'sha256' } },
  { name: 'aes128/sha1', crypto: { cipher: 'aes128', hash: 'sha1' }, expect: { cipher: 'aes128', hash: 'sha1' } },
  { name: 'hash-only sha256', crypto: { cipher: 'none', hash: 'sha256' }, expect: { cipher: 'none', hash: 'sha256' } },
];

for (const c of cryptoCases) {
  test(`knet lab, ${c.name}: zero undecoded frames, ring id as corosync reports`, { timeout: 240_000 }, async () => {
    const o = await runCluster(c.crypto ? { crypto: c.crypto } : {});
    assertClean(o);
    if (c.expect) {
      assert.equal(o.decoder.counters.encrypted, o.packets);
      // Wrong key: no message at all, every packet counted as an HMAC mismatch.
      assert.equal(o.wrongKey?.counters.messages, 0);
      assert.equal(o.wrongKey?.counters.errorsByCode['knet.crypto.hmac_mismatch'], o.packets);
      const d = o.decoder.cryptoDetected;
      assert.ok(d);
      assert.equal(d.cipher, c.expect.cipher);
      assert.equal(d.hash, c.expect.hash);
    } else {
      assert.equal(o.decoder.counters.cleartext, o.packets);
    }
  });
}

for (const model of ['zlib', 'lz4', 'lz4hc', 'lzo2', 'lzma', 'bzip2', 'zstd']) {
  test(`knet lab, compression ${model} (threshold 50): compressed messages decompress`, { timeout: 240_000 }, async () => {
    // corosync passes knet_compression_level 0 when unset; bzip2 rejects 0 (block size 1..9).
    const o = await runCluster({ compression: model === 'bzip2' ? { model, threshold: 50, level: 9 } : { model, threshold: 50 } });
    assertClean(o, false);
    assert.ok(o.decoder.counters.decompressed > 10, `${o.decoder.counters.decompressed} messages decompressed`);
  });
}
