import { readUdpCapture } from './test/fixtures/knet/capture.ts';
import { KnetDecoder } from './dissectors/knet/decoder.ts';
const plain = readUdpCapture('knet-plain.pcap');
const d = new KnetDecoder();
const span = 30_000_000_000n;
const t0 = performance.now();
for (let i = 0; i < 60; i++) { const shift = BigInt(i) * span; for (const p of plain) d.decode(p.payload, { src: p.meta.src, dst: p.meta.dst, srcPort: 5405, dstPort: 5405, timeNs: p.timeNs + shift }); }
console.log((60 * plain.length / (performance.now() - t0) * 1000).toFixed(0), '/s');
