/**
 * `qb_ipc_request_header` (wire-format.md §5.1; QB include/qb/qbipc_common.h):
 * `int32 id aligned(8) | int32 size aligned(8)` ⇒ 16 bytes, id @0, size @8 (padding not read).
 * `id = service << 16 | fn` (coroapi.h SERVICE_ID_MAKE). The CPG joinlist uses the 24-byte
 * response header instead (id @0, size @8, error @16); its first 16 bytes read the same.
 */
import { i32, putU32 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { SERVICE_FIELDS as F } from './fields.ts';
import { serviceName } from './names.ts';
import type { RequestHeader } from './types.ts';

export { SERVICE_NAMES, ServiceId, serviceName } from './names.ts';

export const ID = 0;
export const SIZE = 8;
export const REQUEST_HEADER_LEN = 16;
export const RESPONSE_ERROR = 16;
export const RESPONSE_HEADER_LEN = 24;

export function makeHeader(service: number, fn: number, size: number): RequestHeader {
  return { id: ((service & 0xffff) << 16) | (fn & 0xffff), service, fn, size };
}

export function parseRequestHeader(b: Uint8Array, le: boolean): Decoded<RequestHeader, 'service.short'> {
  if (b.length < REQUEST_HEADER_LEN) {
    return new WireError('service.short', 0, `service message is ${b.length} bytes, request header needs ${REQUEST_HEADER_LEN}`);
  }
  const id = i32(b, ID, le);
  return { id, service: (id >>> 16) & 0xffff, fn: id & 0xffff, size: i32(b, SIZE, le) };
}

export function emitRequestHeader(h: RequestHeader, out: Uint8Array, le: boolean): void {
  putU32(out, ID, h.id, le);
  putU32(out, SIZE, h.size, le);
}

/** `rawId`: the id carries no service bits (sync messages), so no service id is shown. */
export function requestHeaderTree(h: RequestHeader, fnName: string, nameOverride?: string, rawId = false): FieldNode[] {
  const out = [node(F.id, h.id >>> 0), node(F.name, nameOverride ?? serviceName(h.service))];
  if (!rawId) out.push(node(F.service, h.service));
  out.push(node(F.fn, h.fn), node(F.fn_name, fnName), node(F.size, h.size));
  return out;
}
