#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when any is missing (a no-op otherwise).
# The integration tests run real corosync clusters in network namespaces, capture with tcpdump,
# cross-check with tshark, drop packets with nftables and compile a libcpg client with gcc.
set -euo pipefail
packages=(corosync libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev gcc libc6-dev tcpdump tshark nftables iproute2 tmux prometheus procps util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-system-deps: missing packages ${missing[*]} and not root: install them (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "ensure-system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
