/**
 * The host side of address selection: `ip -j addr` run on this machine, and its host name.
 * Kept apart from the pure modules so they stay free of I/O.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import { parseIpAddrJson, type HostAddress } from './addrs.ts';

/** Runs `ip -j addr` (iproute2) and parses it; an Error when ip is missing or fails. */
export function liveHostAddresses(): HostAddress[] | Error {
  let out: string;
  try {
    out = execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (e) {
    return new Error(`"ip -j addr" failed: ${(e as Error).message}`);
  }
  return parseIpAddrJson(out);
}

/** uname nodename, which corosync compares with nodelist names. */
export function liveHostname(): string {
  return os.hostname();
}

/** Size of the key file corosync would read (never its content). */
export function readKeyfileSize(path: string): { readonly path: string; readonly size?: number; readonly error?: string } {
  try {
    return { path, size: statSync(path).size };
  } catch (e) {
    return { path, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}
