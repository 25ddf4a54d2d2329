/**
 * Link-layer dispatch by LINKTYPE: where the network-layer packet starts and what it is.
 *
 * The hot path (`linkPayload`) allocates nothing: it writes the payload's EtherType (IPv4 0x0800,
 * IPv6 0x86dd, anything else; -1 when the link type or family carries no EtherType) and offset into
 * a caller-owned scratch object. `linkTree` builds the `-V` nodes.
 */
import { node, defineFields, type FieldNode } from '../catalog.ts';
import { WireError } from '../errors.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethernetPayload, ethernetTree, parseEthernet, type EthernetErrorCode } from './ethernet.ts';
import { LINKTYPE_LOOP, LINKTYPE_NULL, nullPayload, nullTree, parseNull, type NullErrorCode } from './null.ts';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, parseSll, parseSll2, sll2Payload, sllPayload, sllTree, type SllErrorCode } from './sll.ts';

export * from './ethernet.ts';
export * from './null.ts';
export * from './sll.ts';

export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW; 12 and 14 are DLT_RAW values some systems wrote into files. */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_RAW_BSD_12 = 12;
export const LINKTYPE_RAW_BSD_14 = 14;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

export const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  12: 'RAW (DLT 12)',
  14: 'RAW (DLT 14)',
  101: 'RAW',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export const SUPPORTED_LINKTYPES: readonly number[] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

export type RawErrorCode = 'raw.truncated' | 'raw.bad_ip_version';
export type LinkErrorCode = EthernetErrorCode | SllErrorCode | NullErrorCode | RawErrorCode;

export const LINK_ERROR_CODES: readonly LinkErrorCode[] = [
  'eth.truncated',
  'vlan.truncated',
  'vlan.too_many_tags',
  'sll.truncated',
  'sll2.truncated',
  'null.truncated',
  'raw.truncated',
  'raw.bad_ip_version',
];

/** Caller-owned scratch written by `linkPayload`. */
export interface LinkOut {
  /** EtherType of the payload; -1 when not known (unsupported link type, non-IP family). */
  etherType: number;
  /** Offset of the payload in the frame. */
  offset: number;
}

/**
 * For the frame in b[start, end): returns undefined and fills `out` (offset in `b`), or a WireError
 * (offset in `b`). An unsupported link type is not an error: etherType -1, and the caller reports
 * it as ignored.
 */
export function linkPayload(linkType: number, b: Uint8Array, start: number, end: number, out: LinkOut): WireError<LinkErrorCode> | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernetPayload(b, start, end, out);
    case LINKTYPE_LINUX_SLL2:
      return sll2Payload(b, start, end, out);
    case LINKTYPE_LINUX_SLL:
      return sllPayload(b, start, end, out);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14: {
      if (end <= start) return new WireError('raw.truncated', start, 'raw IP frame is empty');
      const version = b[start]! >>> 4;
      if (version !== 4 && version !== 6) return new WireError('raw.bad_ip_version', start, `raw IP frame has IP version ${version}`);
      out.etherType = version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
      out.offset = start;
      return undefined;
    }
    case LINKTYPE_IPV4:
      out.etherType = ETHERTYPE_IPV4;
      out.offset = start;
      return undefined;
    case LINKTYPE_IPV6:
      out.etherType = ETHERTYPE_IPV6;
      out.offset = start;
      return undefined;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return nullPayload(b, start, end, out);
    default:
      out.etherType = -1;
      out.offset = start;
      return undefined;
  }
}

export const LINK_FIELDS = defineFields('raw', {
  '': { type: 'none', label: 'Raw packet data', description: 'No link-layer header: the frame starts with the IP header (LINKTYPE_RAW, IPV4, IPV6).' },
});

/** Link-layer nodes of a frame (empty for raw IP; undefined-free: a decode error yields no node). */
export function linkTree(linkType: number, b: Uint8Array): FieldNode[] {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      const h = parseEthernet(b);
      return h instanceof WireError ? [] : ethernetTree(h);
    }
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_LINUX_SLL2: {
      const h = linkType === LINKTYPE_LINUX_SLL ? parseSll(b) : parseSll2(b);
      return h instanceof WireError ? [] : [sllTree(h)];
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      const h = parseNull(b);
      return h instanceof WireError ? [] : [nullTree(h)];
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return [node(LINK_FIELDS[''])];
    default:
      return [];
  }
}
