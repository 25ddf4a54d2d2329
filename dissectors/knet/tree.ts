/**
 * FieldNode trees and one-line summaries for knet packets (catalog names in fields.ts).
 */
import { node, type FieldNode } from '../catalog.ts';
import { compressModelName } from '../codecs/index.ts';
import type { KnetCryptoInfo } from './crypto.ts';
import type { KnetData } from './data.ts';
import type { KnetResult } from './decoder.ts';
import type { KnetHeader } from './header.ts';
import { KNET_TYPE_NAMES } from './header.ts';
import { knetCryptoFields as CF, knetDataFields as DF, knetFields as KF, knetHeaderFields as HF, knetPingFields as PF, knetPmtudFields as MF } from './fields.ts';
import type { KnetPing } from './ping.ts';
import type { KnetPmtud } from './pmtud.ts';

export function knetHeaderTree(h: KnetHeader): FieldNode {
  return node(HF[''], undefined, [node(HF.version, h.version), node(HF.type, h.type), node(HF.node, h.node)]);
}

export function knetDataTree(d: KnetData, extra?: { status?: string; messageLength?: number }): FieldNode {
  const children: FieldNode[] = [
    node(DF.seq_num, d.seqNum),
    node(DF.compress, d.compress),
    node(DF.bcast, d.bcast),
    node(DF.frag_num, d.fragNum),
    node(DF.frag_seq, d.fragSeq),
    node(DF.channel, d.channel),
    node(DF.length, d.userData.length),
  ];
  if (extra?.status !== undefined) children.push(node(DF.status, extra.status));
  if (extra?.messageLength !== undefined) children.push(node(DF.message_length, extra.messageLength));
  return node(DF[''], undefined, children);
}

export function knetPingTree(p: KnetPing): FieldNode {
  return node(PF[''], undefined, [
    node(PF.link, p.link),
    node(PF.time_sec, p.timeSec),
    node(PF.time_nsec, p.timeNsec),
    node(PF.seq_num, p.seqNum),
    node(PF.timed, p.timed),
  ]);
}

export function knetPmtudTree(p: KnetPmtud): FieldNode {
  return node(MF[''], undefined, [node(MF.link, p.link), node(MF.size, p.size), node(MF.padding, p.paddingLength)]);
}

/** Crypto subtree; absent for cleartext packets. Never contains key material. */
export function knetCryptoTree(c: KnetCryptoInfo): FieldNode | undefined {
  if (c.keyIndex < 0) return undefined;
  const children: FieldNode[] = [node(CF.cipher, c.cipher), node(CF.hash, c.hash), node(CF.hmac_ok, c.hmacOk), node(CF.key_index, c.keyIndex)];
  if (c.salt) children.push(node(CF.salt, c.salt));
  return node(CF[''], undefined, children);
}

/** The knet part of a decoded packet's tree (the totemsrp tree goes after it, built by its own layer). */
export function knetTree(r: KnetResult): FieldNode[] {
  if (r.kind === 'error') {
    const out: FieldNode[] = [];
    if (r.link >= 0) out.push(node(KF.link, r.link));
    if (r.crypto) {
      const c = knetCryptoTree(r.crypto);
      if (c) out.push(c);
    }
    if (r.data) out.push(node(KF[''], undefined, [knetHeaderTree(r.data.header), knetDataTree(r.data)]));
    return out;
  }
  const children: FieldNode[] = [];
  const c = knetCryptoTree(r.crypto);
  if (c) children.push(c);
  if (r.link >= 0) children.push(node(KF.link, r.link));
  switch (r.kind) {
    case 'data': {
      children.push(knetHeaderTree(r.data.header));
      const extra: { status: string; messageLength?: number } = { status: r.status };
      if (r.userData) extra.messageLength = r.userData.length;
      children.push(knetDataTree(r.data, extra));
      break;
    }
    case 'ping':
    case 'pong':
      children.push(knetHeaderTree(r.ping.header), knetPingTree(r.ping));
      break;
    case 'pmtud':
    case 'pmtud_reply':
      children.push(knetHeaderTree(r.pmtud.header), knetPmtudTree(r.pmtud));
      break;
  }
  return [node(KF[''], undefined, children)];
}

/** One line: `knet DATA node 2 seq 87 frag 2/3 link 0 [aes256/sha256] fragment_pending`. */
export function knetSummary(r: KnetResult): string {
  const crypto = r.crypto && r.crypto.keyIndex >= 0 ? ` [${r.crypto.cipher}/${r.crypto.hash}]` : '';
  const link = r.link >= 0 ? ` link ${r.link}` : '';
  switch (r.kind) {
    case 'error':
      return `knet error ${r.error.code}${link}${crypto}: ${r.error.message}`;
    case 'data': {
      const d = r.data;
      const frag = d.fragNum > 1 ? ` frag ${d.fragSeq}/${d.fragNum}` : '';
      const comp = d.compress ? ` ${compressModelName(d.compress)}` : '';
      const cast = d.bcast ? 'bcast' : 'ucast';
      const done = r.status === 'complete' ? ` len ${r.userData?.length ?? 0}` : ` ${r.status}`;
      return `knet DATA node ${d.header.node} seq ${d.seqNum} ${cast}${frag}${comp} ch ${d.channel}${link}${crypto}${done}`;
    }
    case 'ping':
    case 'pong': {
      const p = r.ping;
      const name = KNET_TYPE_NAMES[p.header.type]!;
      return `knet ${name} node ${p.header.node} link ${p.link} seq ${p.seqNum}${p.timed ? '' : ' forced'} t=${p.timeSec}.${p.timeNsec.toString().padStart(9, '0')}${crypto}`;
    }
    case 'pmtud':
    case 'pmtud_reply': {
      const p = r.pmtud;
      return `knet ${KNET_TYPE_NAMES[p.header.type]!} node ${p.header.node} link ${p.link} size ${p.size}${crypto}`;
    }
  }
}
