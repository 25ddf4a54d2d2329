#!/usr/bin/env bash
# Regenerates test/fixtures/capture/: small real captures for the capture reader and the
# link/IP/UDP decoders, plus byte-order / link-type / block-type variants forged from them.
#
#   sudo bash scripts/make-capture-fixtures.sh
#
# Needs root (network namespaces), iproute2, tcpdump, dumpcap, editcap, node. Uses only
# 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 inside two namespaces it creates and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=test/fixtures/capture
SRC=${CAPTURES:-../shared/captures}
mkdir -p "$OUT"
tmp=$(mktemp -d)
A=tscap-a-$$
B=tscap-b-$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 0.5
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Cuts of a real corosync 3 udpu capture (Ethernet, µs, little-endian) in the classic formats.
editcap -F pcap -r "$SRC/udpu.pcap" "$OUT/udpu-eth.pcap" 1-60
editcap -F pcapng -r "$SRC/udpu.pcap" "$OUT/udpu-eth.pcapng" 121-160
editcap -F nsecpcap -r "$SRC/udpu.pcap" "$OUT/udpu-eth-nsec.pcap" 181-220

# 2. Live UDP traffic between two namespaces over a veth pair: IPv4 and IPv6, fragmented and not.
#    (VLAN-tagged variants are forged in step 3: this kernel may lack 8021q.)
ip netns add "$A"
ip netns add "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip -n "$A" addr add 192.0.2.1/24 dev va
ip -n "$B" addr add 192.0.2.2/24 dev vb
ip -n "$A" -6 addr add 2001:db8::1/64 dev va nodad
ip -n "$B" -6 addr add 2001:db8::2/64 dev vb nodad
ip netns exec "$B" tcpdump -q -i any -U -w "$tmp/any-sll2.pcap" 2>/dev/null &
pids+=($!)
ip netns exec "$B" dumpcap -q -i any -w "$tmp/any-sll.pcapng" 2>/dev/null &
pids+=($!)
ip netns exec "$B" tcpdump -q -i vb --time-stamp-precision=nano -U -w "$tmp/vb-nano.pcap" 2>/dev/null &
pids+=($!)
sleep 3

# A UDP listener in B (so no ICMP port-unreachable for most datagrams), then the sender in A.
ip netns exec "$B" node -e '
  const d = require("node:dgram");
  for (const [t, a] of [["udp4", "0.0.0.0"], ["udp6", "::"]]) { const s = d.createSocket({ type: t, ipv6Only: t === "udp6" }); s.bind(5405, a); setTimeout(() => s.close(), 4000); }
' &
pids+=($!)
sleep 0.5
ip netns exec "$A" node -e '
  const d = require("node:dgram");
  const s4 = d.createSocket("udp4"), s6 = d.createSocket("udp6");
  const sizes = [20, 1000, 3000];
  const jobs = [];
  for (const n of sizes) {
    const buf = Buffer.alloc(n, n & 0xff);
    jobs.push([s4, "192.0.2.2", buf], [s6, "2001:db8::2", buf]);
  }
  jobs.push([s4, "192.0.2.2", Buffer.from("closed port"), 5999]);
  let i = 0;
  const next = () => { if (i === jobs.length) { s4.close(); s6.close(); return; } const [s, h, b, p] = jobs[i++]; s.send(b, p ?? 5405, h, () => setTimeout(next, 20)); };
  next();
'
sleep 2
for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
wait || true
pids=()

cp "$tmp/any-sll2.pcap" "$OUT/net-any-sll2.pcap"
cp "$tmp/any-sll.pcapng" "$OUT/net-any-sll.pcapng"
chmod 644 "$OUT"/*.pcap "$OUT"/*.pcapng
cp "$tmp/vb-nano.pcap" "$OUT/net-eth-nsec.pcap"

# 3. Variants forged from the real captures: byte orders, link types, VLAN tags, pcapng block kinds.
npx tsx "$OUT/forge.ts" "$OUT"

# 4. Multi-section pcapng: Ethernet (LE), Linux SLL (LE), Ethernet (BE) sections.
cat "$OUT/udpu-eth.pcapng" "$OUT/net-any-sll.pcapng" "$OUT/net-eth-be.pcapng" > "$OUT/multi-section.pcapng"

# 5. Truncated files: cut in the middle of a record / block.
head -c 10000 "$OUT/udpu-eth.pcap" > "$OUT/truncated.pcap"
head -c 3001 "$OUT/udpu-eth.pcapng" > "$OUT/truncated.pcapng"

ls -l "$OUT"
du -cb "$OUT"/*.pcap "$OUT"/*.pcapng | tail -1
