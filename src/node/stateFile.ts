/**
 * Ring seq persistence like corosync 3.x (wire-format.md §6.8): `<state_dir>/ringid_<nodeid>`, an
 * 8-byte u64 in host byte order; read (or created with 0) at start, written on every COMMIT entry.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';

const HOST_LE = endianness() === 'LE';

export function ringIdPath(stateDir: string, nodeid: number): string {
  return path.join(stateDir, `ringid_${nodeid}`);
}

/** The stored seq, creating the file with 0 when absent (corosync_ring_id_create_or_load). */
export function loadRingSeq(stateDir: string, nodeid: number): bigint {
  const file = ringIdPath(stateDir, nodeid);
  if (!existsSync(file)) {
    storeRingSeq(stateDir, nodeid, 0n);
    return 0n;
  }
  const b = readFileSync(file);
  if (b.length < 8) throw new Error(`${file}: ${b.length} bytes, a ring seq needs 8`);
  return HOST_LE ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
}

export function storeRingSeq(stateDir: string, nodeid: number, seq: bigint): void {
  mkdirSync(stateDir, { recursive: true });
  const b = Buffer.alloc(8);
  if (HOST_LE) b.writeBigUInt64LE(seq, 0);
  else b.writeBigUInt64BE(seq, 0);
  writeFileSync(ringIdPath(stateDir, nodeid), b);
}
