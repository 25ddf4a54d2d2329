import { readUdpCapture } from './test/fixtures/knet/capture.ts';
import { KnetDecoder } from './dissectors/knet/decoder.ts';
import { KnetLinkAnalyzer } from './src/analysis/knetLinks.ts';
const d = new KnetDecoder(); const a = new KnetLinkAnalyzer();
for (const p of readUdpCapture('knet-plain.pcap')) a.add({ timeNs: p.timeNs, src: p.meta.src, dst: p.meta.dst, length: p.payload.length, result: d.decode(p.payload, p.meta) });
console.dir(a.report(), { depth: 5 });
