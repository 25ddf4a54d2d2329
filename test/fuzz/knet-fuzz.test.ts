/**
 * Fuzz: mutated knet packets, plaintext and encrypted (mutated after sealing, and mutated before
 * sealing so the HMAC verifies and the garbage reaches the parsers and codecs), give only results
 * or typed WireErrors: never an exception, never a message from a packet whose HMAC failed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../dissectors/errors.ts';
import { KnetDecoder, type KnetResult } from '../../dissectors/knet/decoder.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';
import { sealKnet } from '../fixtures/knet/seal.ts';

const key = new Uint8Array(readFileSync(fixturePath('authkey-knet-aes256-hashonly.bin')));
const plain = readUdpCapture('knet-plain.pcap').filter((_, i) => i % 7 === 0);
const encrypted = readUdpCapture('knet-aes256.pcap').filter((_, i) => i % 3 === 0);
const CODE = /^knet\.([a-z_]+|crypto\.[a-z_]+|decompress\.[a-z_]+)$/;

const mutation = fc.record({
  pick: fc.nat(),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.integer({ min: 0, max: 40 }),
  extra: fc.uint8Array({ maxLength: 40 }),
  headerFlip: fc.option(fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 255 }))),
});

function mutate(base: Uint8Array, m: { flips: [number, number][]; cut: number; extra: Uint8Array; headerFlip: [number, number] | null }): Uint8Array {
  const b = Uint8Array.from(base);
  for (const [at, v] of m.flips) if (b.length) b[at % b.length] = v;
  if (m.headerFlip && m.headerFlip[0] < b.length) b[m.headerFlip[0]] = m.headerFlip[1];
  const cut = b.subarray(0, Math.max(0, b.length - m.cut));
  const out = new Uint8Array(cut.length + m.extra.length);
  out.set(cut);
  out.set(m.extra, cut.length);
  return out;
}

function check(r: KnetResult): void {
  if (r.kind === 'error') {
    assert.ok(r.error instanceof WireError);
    assert.match(r.error.code, CODE);
  }
}

test('mutated plaintext packets: only results or typed errors', () => {
  const d = new KnetDecoder({ reassemblyTimeoutNs: 1_000_000n });
  fc.assert(
    fc.property(mutation, (m) => {
      const p = plain[m.pick % plain.length]!;
      check(d.decode(mutate(p.payload, m), p.meta));
    }),
    { numRuns: 3000 },
  );
  d.flush();
});

test('mutated encrypted packets: typed errors, no message from a packet that failed its HMAC', () => {
  const d = new KnetDecoder({ keys: [key] });
  // Prime the configuration with a genuine packet.
  d.decode(encrypted[0]!.payload, encrypted[0]!.meta);
  fc.assert(
    fc.property(mutation, (m) => {
      const p = encrypted[m.pick % encrypted.length]!;
      const mutated = mutate(p.payload, m);
      const changed = Buffer.compare(Buffer.from(mutated), Buffer.from(p.payload)) !== 0;
      const r = d.decode(mutated, p.meta);
      check(r);
      if (changed) {
        assert.equal(r.kind, 'error');
        if (r.kind === 'error') assert.match(r.error.code, /^knet\.crypto\./);
      }
    }),
    { numRuns: 1500 },
  );
});

test('garbage sealed with the right key (HMAC verifies): header, fragment and codec errors stay typed', () => {
  const d = new KnetDecoder({ keys: [key], cipher: 'aes256', hash: 'sha256', reassemblyTimeoutNs: 1_000_000n });
  fc.assert(
    fc.property(
      mutation,
      fc.integer({ min: 0, max: 9 }),
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      (m, compress, body) => {
        const p = plain[m.pick % plain.length]!;
        let packet = mutate(p.payload, m);
        if (packet.length >= 14 && packet[1] === 0) {
          // Force compressed DATA with a garbage body.
          packet = Uint8Array.from([...packet.subarray(0, 14), ...body]);
          packet[8] = compress;
        }
        check(d.decode(sealKnet(packet, key, 'aes256', 'sha256'), p.meta));
      },
    ),
    { numRuns: 1500 },
  );
  assert.ok((d.counters.errorsByCode['knet.decompress.failed'] ?? 0) > 0);
});

test('random bytes of any length: only typed errors', () => {
  const withKey = new KnetDecoder({ keys: [key] });
  const noKey = new KnetDecoder();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      const meta = { src: '192.0.2.1', dst: '192.0.2.2', srcPort: 5405, dstPort: 5405, timeNs: 1n };
      check(withKey.decode(b, meta));
      check(noKey.decode(b, meta));
    }),
    { numRuns: 2000 },
  );
});
