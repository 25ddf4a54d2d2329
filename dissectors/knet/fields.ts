/**
 * Field catalog for kronosnet (`knet.*`), wire-format.md §7. Note: Wireshark's own `knet` protocol
 * is KristalliNet (an unrelated game protocol, §9); totemscope's `knet.*` names are kronosnet.
 */
import { defineFields } from '../catalog.ts';
import { COMPRESS_MODEL_NAMES } from '../codecs/index.ts';
import { KNET_TYPE_NAMES } from './header.ts';

export const knetFields = defineFields('knet', {
  '': { type: 'none', label: 'Kronosnet', description: 'kronosnet (knet) packet: the corosync 3 default transport around each totemsrp message.' },
  link: {
    type: 'u8',
    label: 'Link',
    description: 'knet link number: the link field of PING/PONG/PMTUD, otherwise derived from the UDP port (5405 + N by default).',
  },
});

export const knetHeaderFields = defineFields('knet.header', {
  '': { type: 'none', label: 'Header', description: 'The 6-byte common knet header (libknet/onwire.h struct knet_header).' },
  version: { type: 'u8', label: 'Version', description: 'kh_version: header format version, 1 for every knet 1.x release.' },
  type: {
    type: 'u8',
    label: 'Type',
    hex: true,
    description: 'kh_type: 0x00 DATA, 0x81 PING, 0x82 PONG, 0x83 PMTUD, 0x84 PMTUD_REPLY (0x80 bit = control packet).',
    values: KNET_TYPE_NAMES,
  },
  node: { type: 'u16', label: 'Source node', description: 'kh_node: knet host id of the sender (corosync nodeid), big-endian.' },
});

export const knetDataFields = defineFields('knet.data', {
  '': { type: 'none', label: 'Data', description: 'knet DATA header (8 bytes) and user data.' },
  seq_num: {
    type: 'u16',
    label: 'Sequence number',
    description: 'khp_data_seq_num: per-sender counter (never 0), the same on every copy of a broadcast and every fragment; big-endian.',
  },
  compress: {
    type: 'u8',
    label: 'Compression',
    description: "khp_data_compress: 0 uncompressed, else the sender's compression model id.",
    values: COMPRESS_MODEL_NAMES,
  },
  bcast: { type: 'u8', label: 'Broadcast', description: 'khp_data_bcast: 1 broadcast (sent to every node), 0 unicast.', values: { 0: 'unicast', 1: 'broadcast' } },
  frag_num: { type: 'u8', label: 'Fragments', description: 'khp_data_frag_num: total fragments of the message; 1 = not fragmented.' },
  frag_seq: { type: 'u8', label: 'Fragment', description: 'khp_data_frag_seq: 0 when not fragmented, else this fragment, 1..frag_num.' },
  channel: { type: 'u8', label: 'Channel', description: 'khp_data_channel: knet datafd channel; corosync totem uses 0, nozzle 1.' },
  length: { type: 'u16', label: 'User data length', description: 'Bytes of user data in this packet (a fragment or compressed bytes when so flagged).' },
  message_length: {
    type: 'u32',
    label: 'Message length',
    description: 'Length of the complete user message after reassembly and decompression.',
  },
  status: {
    type: 'string',
    label: 'Delivery',
    description: 'complete (message delivered here), fragment_pending (held for reassembly) or duplicate (already delivered: another link or another copy).',
  },
});

export const knetPingFields = defineFields('knet.ping', {
  '': { type: 'none', label: 'Ping', description: 'knet PING/PONG heartbeat payload (20 bytes); a PONG echoes the PING.' },
  link: { type: 'u8', label: 'Link', description: "khp_ping_link: the pinger's link id." },
  time_sec: { type: 'u64', label: 'Time (s)', description: "tv_sec of the pinger's CLOCK_MONOTONIC at send, in the pinger's host order (LE on x86_64)." },
  time_nsec: { type: 'u64', label: 'Time (ns)', description: 'tv_nsec of the same timestamp.' },
  seq_num: { type: 'u16', label: 'Sequence number', description: "khp_ping_seq_num: the pinger's current transmit data seq number; big-endian." },
  timed: { type: 'u8', label: 'Timed', description: 'khp_ping_timed: 1 periodic ping, 0 forced ping (sent after 8191 data packets).' },
});

export const knetPmtudFields = defineFields('knet.pmtud', {
  '': { type: 'none', label: 'PMTUD', description: 'knet path-MTU discovery probe or reply.' },
  link: { type: 'u8', label: 'Link', description: "khp_pmtud_link: the prober's link id." },
  size: { type: 'u16', label: 'Size', description: "khp_pmtud_size: tested on-wire IP packet size, in the sender's host order (LE on x86_64)." },
  padding: { type: 'u16', label: 'Padding', description: 'Probe padding bytes after the 9-byte header part.' },
});

export const knetCryptoFields = defineFields('knet.crypto', {
  '': { type: 'none', label: 'Crypto', description: 'knet packet protection (salt + AES-CBC + HMAC, or HMAC only).' },
  cipher: { type: 'string', label: 'Cipher', description: 'crypto_cipher that decrypted the packet: none, aes128, aes192 or aes256.' },
  hash: { type: 'string', label: 'Hash', description: 'crypto_hash of the HMAC: none, md5, sha1, sha256, sha384 or sha512.' },
  salt: { type: 'bytes', label: 'Salt', description: 'The 16-byte random salt, used as the AES-CBC IV.' },
  hmac_ok: { type: 'bool', label: 'HMAC verified', description: 'The HMAC over the packet verified with the authkey (never shown: the key).' },
  key_index: { type: 'u8', label: 'Key', description: 'Which of the given authkeys (0-based, in --key order) verified the packet.' },
});

export const KNET_FIELDS = [
  ...Object.values(knetFields),
  ...Object.values(knetHeaderFields),
  ...Object.values(knetDataFields),
  ...Object.values(knetPingFields),
  ...Object.values(knetPmtudFields),
  ...Object.values(knetCryptoFields),
];
