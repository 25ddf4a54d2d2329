/**
 * `totemscope node` knet transport without corosync: knet's duplicate filter (knetSeq.ts, as
 * libknet 1.25 host.c/threads_rx.c), and two KnetTransports on loopback addresses exchanging
 * sealed, fragmented, unicast and broadcast totem messages, refusing clear traffic under crypto,
 * and accepting a restarted sender whose seq numbers start again at 1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { emitData } from '../../dissectors/knet/data.ts';
import { KnetType } from '../../dissectors/knet/header.ts';
import { loadTotemConfig } from '../../src/config/index.ts';
import { KnetSeqFilter } from '../../src/node/knetSeq.ts';
import { KnetTransport } from '../../src/node/knetTransport.ts';
import type { TransportOptions } from '../../src/node/transport.ts';

test('knet seq filter: duplicates inside the 4096 window are refused, new seqs accepted', () => {
  const f = new KnetSeqFilter();
  for (let s = 1; s <= 100; s++) {
    assert.equal(f.lookup(s), true, `seq ${s}`);
    f.set(s);
  }
  assert.equal(f.lookup(50), false, 'delivered seq 50 again');
  assert.equal(f.lookup(100), false);
  assert.equal(f.lookup(101), true);
  // Not delivered (lookup alone does not mark): still new.
  assert.equal(f.lookup(101), true);
  f.set(101);
  assert.equal(f.lookup(101), false);
});

test('knet seq filter: a restarted sender (seq from 1 again) is refused until its seq-0 timed ping wipes the buffer', () => {
  const f = new KnetSeqFilter();
  f.onPing(0, true);
  for (let s = 1; s <= 200; s++) {
    assert.equal(f.lookup(s), true);
    f.set(s);
  }
  f.onPing(200, true);
  assert.equal(f.lookup(1), false, 'without the wipe, seq 1 of a new run looks like a duplicate');
  f.onPing(0, true); // the fresh sender's first ping: tx seq still 0
  assert.equal(f.lookup(1), true);
  f.set(1);
  assert.equal(f.lookup(1), false);
  // Further seq-0 pings change nothing (knet caches the timed seq).
  f.onPing(0, true);
  assert.equal(f.lookup(1), false);
});

test('knet seq filter: two untimed pings (0xffff, then 0) with no data between wipe the window even without a timed seq-0 ping', () => {
  const f = new KnetSeqFilter();
  for (let s = 1; s <= 3; s++) {
    f.lookup(s);
    f.set(s);
    f.sawData();
  }
  // The old run never pinged with a seq other than 0: the fresh run's timed ping changes nothing.
  f.onPing(0, true);
  assert.equal(f.lookup(1), false);
  f.onPing(0xffff, false); // data came since the last untimed ping: only resets got_data
  assert.equal(f.lookup(1), false);
  f.onPing(0, false); // a new untimed seq and no data in between: wipe, window at 0
  assert.equal(f.lookup(1), true);
});

test('knet seq filter: far jumps reset the window, wrap-around continues, untimed pings wipe when no data came in between', () => {
  const f = new KnetSeqFilter();
  for (let s = 9000; s <= 10000; s++) {
    f.lookup(s);
    f.set(s);
  }
  assert.equal(f.lookup(9990), false);
  assert.equal(f.lookup(3), true, '9997 behind: outside the window, a new run');
  f.set(3);
  assert.equal(f.lookup(9990), true, 'the old window was emptied');

  const w = new KnetSeqFilter();
  for (const s of [65533, 65534, 65535, 1, 2]) {
    assert.equal(w.lookup(s), true, `seq ${s}`);
    w.set(s);
  }
  assert.equal(w.lookup(65535), false);
  assert.equal(w.lookup(1), false);

  const u = new KnetSeqFilter();
  u.lookup(5);
  u.set(5);
  u.sawData();
  u.onPing(5, false); // data since the last untimed ping: no wipe
  assert.equal(u.lookup(5), false);
  u.onPing(6, false); // a new untimed seq with no data in between: wipe
  assert.equal(u.lookup(5), true);
});

function conf(port: number, crypto: boolean, extraTotem = ''): string {
  return `totem {
  version: 2
  cluster_name: unit
  transport: knet
  token: 1000
${extraTotem}
  crypto_cipher: ${crypto ? 'aes256' : 'none'}
  crypto_hash: ${crypto ? 'sha256' : 'none'}
  interface {
    linknumber: 0
    mcastport: ${port}
    knet_ping_interval: 100
    knet_ping_timeout: 1000
  }
}
nodelist {
  node {
    ring0_addr: 127.0.0.1
    nodeid: 1
  }
  node {
    ring0_addr: 127.0.0.2
    nodeid: 2
  }
}
quorum {
  provider: corosync_votequorum
}
`;
}

interface Endpoint {
  readonly transport: KnetTransport;
  readonly received: Uint8Array[];
  readonly errors: string[];
}

function endpoint(nodeid: number, port: number, authkey: Uint8Array | undefined): Endpoint {
  const loaded = loadTotemConfig(conf(port, authkey !== undefined));
  assert.ok(!('error' in loaded), 'config loads');
  const errors: string[] = [];
  const opts: TransportOptions = {
    nodeid,
    totem: loaded.totem,
    nodes: loaded.nodes,
    ...(authkey !== undefined ? { authkey } : {}),
    log: () => {},
    onSendError: (_to, e) => errors.push(e.message),
  };
  return { transport: new KnetTransport(opts), received: [], errors };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A totem-looking message: 13-byte v3 header (magic, version 3, type MCAST, sender 1) and a body. */
function totemMessage(length: number): Uint8Array {
  const b = new Uint8Array(randomBytes(length));
  b.set([0x70, 0xc0, 3, 1, 2, 1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee]);
  return b;
}

function withTarget(message: Uint8Array, target: number): Uint8Array {
  const b = new Uint8Array(message);
  new DataView(b.buffer).setUint32(9, target, true);
  return b;
}

test('two knet transports on loopback: links up, fragmented broadcast, unicast with target, loopback, crypto, restart', { timeout: 30_000 }, async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const key = new Uint8Array(randomBytes(256));
  const a = endpoint(1, port, key);
  const b = endpoint(2, port, key);
  await a.transport.start((m) => a.received.push(m));
  await b.transport.start((m) => b.received.push(m));
  let aAgain: Endpoint | undefined;
  try {
    await until('links up both ways', () => a.transport.linksUp.includes(2) && b.transport.linksUp.includes(1));
    assert.equal(a.transport.dataMtu, 1397, 'aes256/sha256 data MTU on a 1500-byte path');

    // A broadcast of 5000 bytes: 4 fragments, reassembled by the peer, looped back to the sender.
    const big = totemMessage(5000);
    assert.equal(a.transport.send('multicast', big), 4);
    await until('broadcast delivered', () => b.received.length === 1 && a.received.length === 1);
    assert.deepEqual(b.received[0], withTarget(big, 0));
    assert.deepEqual(a.received[0], withTarget(big, 0));
    assert.equal(a.transport.counters.fragmentsTx, 4);

    // A unicast carries the destination in target_nodeid; one to ourselves stays local.
    const token = totemMessage(70);
    assert.equal(a.transport.send(2, token), 1);
    await until('unicast delivered', () => b.received.length === 2);
    assert.deepEqual(b.received[1], withTarget(token, 2));
    assert.equal(a.transport.send(1, token), 0);
    await until('unicast to self', () => a.received.length === 2);
    assert.deepEqual(a.received[1], withTarget(token, 1));
    assert.equal(b.transport.counters.duplicates, 0);
    assert.equal(b.transport.counters.dropped, 0);
    assert.deepEqual([...a.errors, ...b.errors], []);

    // Restart of A: a fresh transport numbers its data from seq 1 again; its first ping (seq 0)
    // makes B forget the old run, so its messages are not taken for duplicates.
    await a.transport.close();
    const seqOneBefore = b.received.length;
    // Meanwhile, clear (unsealed) traffic from A's address is refused under crypto.
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((r) => raw.bind({ address: '127.0.0.1', port }, r));
    const clear = emitData({
      header: { version: 1, type: KnetType.DATA, node: 1, pad1: 0, pad2: 0 },
      seqNum: 999,
      compress: 0,
      pad1: 0,
      bcast: 1,
      fragNum: 1,
      fragSeq: 0,
      channel: 0,
      userData: totemMessage(40),
    });
    const droppedBefore = b.transport.counters.dropped;
    await new Promise<void>((r, j) => raw.send(clear, port, '127.0.0.2', (e) => (e ? j(e) : r())));
    await until('clear packet dropped', () => b.transport.counters.dropped === droppedBefore + 1);
    await new Promise<void>((r) => raw.close(() => r()));
    assert.equal(b.received.length, seqOneBefore, 'clear packet not delivered');

    aAgain = endpoint(1, port, key);
    await aAgain.transport.start((m) => aAgain!.received.push(m));
    await until('B saw the new run\'s ping', () => b.transport.counters.pingRx > 0 && b.received.length === seqOneBefore);
    await new Promise((r) => setTimeout(r, 50));
    const again = totemMessage(100);
    aAgain.transport.send('multicast', again);
    await until('restarted sender delivered', () => b.received.length === seqOneBefore + 1).catch((e: Error) => {
      throw new Error(`${e.message}: B ${JSON.stringify(b.transport.counters)} A' ${JSON.stringify(aAgain?.transport.counters)}`);
    });
    assert.deepEqual(b.received.at(-1), withTarget(again, 0));
    assert.equal(b.transport.counters.duplicates, 0);
  } finally {
    if (aAgain !== undefined) await aAgain.transport.close();
    await b.transport.close();
  }
});

test('knet transport refuses crypto without a key', () => {
  const loaded = loadTotemConfig(conf(5405, true));
  assert.ok(!('error' in loaded));
  assert.throws(() => new KnetTransport({ nodeid: 1, totem: loaded.totem, nodes: loaded.nodes, log: () => {}, onSendError: () => {} }), /needs the cluster authkey/);
});

test('knet transport data MTU: knet_mtu when set, else 1500 (or a smaller interface MTU), less the crypto overhead', () => {
  const make = (crypto: boolean, extra: string): KnetTransport => {
    const loaded = loadTotemConfig(conf(5405, crypto, extra));
    assert.ok(!('error' in loaded));
    return new KnetTransport({ nodeid: 1, totem: loaded.totem, nodes: loaded.nodes, authkey: new Uint8Array(256), log: () => {}, onSendError: () => {} });
  };
  // 127.0.0.1 is on lo (MTU 65536): the 1500 default applies.
  assert.equal(make(false, '').dataMtu, 1446);
  assert.equal(make(true, '').dataMtu, 1397);
  assert.equal(make(false, '  knet_mtu: 1200').dataMtu, 1200 - 28 - 26);
  assert.match(make(true, '  knet_mtu: 1200').description, /Bound to 127\.0\.0\.1:5405 \(link 0\), nodeid 1; link_mode passive; crypto aes256\/sha256; data MTU 1093;/);
});
