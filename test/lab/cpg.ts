// The lab's C CPG client (cpgclient.c): build once per source version, options, and its log format.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, LabError, run } from './sys.ts';

export const CPGCLIENT_SOURCE = fileURLToPath(new URL('./cpgclient.c', import.meta.url));
/** Header layout of every message body the client sends (see cpgclient.c). */
export const CPG_MESSAGE_HEADER_LEN = 32;
export const CPG_MESSAGE_MAGIC = 0x50435354;

let building: Promise<string> | undefined;

/** Compiles cpgclient.c into a shared cache dir (once per source hash) and returns the binary path. */
export function buildCpgClient(): Promise<string> {
  building ??= (async () => {
    const source = readFileSync(CPGCLIENT_SOURCE);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
    const cacheDir = path.join(os.tmpdir(), 'totemscope-lab-cache');
    mkdirSync(cacheDir, { recursive: true });
    const target = path.join(cacheDir, `cpgclient-${hash}`);
    if (existsSync(target)) return target;
    // Concurrent test files may build at once: compile to a private name, then rename atomically.
    const tmp = `${target}.${process.pid}.${Date.now()}`;
    try {
      await run([bin('gcc'), '-O2', '-Wall', '-o', tmp, CPGCLIENT_SOURCE, '-lcpg'], { timeoutMs: 120_000 });
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new LabError(`building cpgclient failed (is libcpg-dev installed?): ${(e as Error).message}`);
    }
    return target;
  })();
  const p = building;
  p.catch(() => {
    if (building === p) building = undefined;
  });
  return p;
}

export interface CpgClientOptions {
  /** CPG group (default "totemscope"). */
  readonly group?: string;
  /** Messages to send (default 0). */
  readonly count?: number;
  /** Send until stopped (ignores count). */
  readonly continuous?: boolean;
  /**
   * Message sizes in bytes (each >= 32, <= 1 MiB): a list used in turn, where an entry may be a
   * range [lo, hi] picked at random (seeded). Default [100].
   */
  readonly sizes?: readonly (number | readonly [number, number])[];
  /** Seed for range sizes (default 1). */
  readonly seed?: number;
  /** Messages per second; 0 or undefined = flat out (CS_ERR_TRY_AGAIN retried). */
  readonly rate?: number;
  /** Start sending only when the group has at least this many members (default 1). */
  readonly waitMembers?: number;
  /** Exit after delivering this many messages from all senders. */
  readonly expect?: number;
  /** Exit once all `count` messages are sent and delivered back to this client. */
  readonly exitWhenSent?: boolean;
  /** Body fill: 'random' (default, incompressible) or 'text' (compressible). */
  readonly pattern?: 'random' | 'text';
  /** No sent/deliver lines (floods): only start/ring/confchg/done. */
  readonly quiet?: boolean;
  /** Append a realtime timestamp (epoch seconds with µs) to deliver lines. */
  readonly timestamps?: boolean;
  /** Print a `progress <time> <sent> <delivered>` line every this many ms. */
  readonly progressMs?: number;
}

/** cpgclient command-line arguments for the options. */
export function cpgClientArgs(o: CpgClientOptions): string[] {
  const args: string[] = [];
  if (o.group !== undefined) args.push('-g', o.group);
  if (o.continuous === true) args.push('-c');
  else if (o.count !== undefined) args.push('-n', String(o.count));
  if (o.sizes !== undefined && o.sizes.length > 0) {
    args.push('-s', o.sizes.map((s) => (typeof s === 'number' ? String(s) : `${s[0]}-${s[1]}`)).join(','));
  }
  if (o.seed !== undefined) args.push('-S', String(o.seed));
  if (o.rate !== undefined && o.rate > 0) args.push('-r', String(o.rate));
  if (o.waitMembers !== undefined) args.push('-w', String(o.waitMembers));
  if (o.expect !== undefined) args.push('-e', String(o.expect));
  if (o.exitWhenSent === true) args.push('-x');
  if (o.pattern !== undefined) args.push('-p', o.pattern);
  if (o.quiet === true) args.push('-q');
  if (o.timestamps === true) args.push('-T');
  if (o.progressMs !== undefined && o.progressMs > 0) args.push('-i', String(Math.round(o.progressMs)));
  return args;
}

export interface CpgDelivery {
  readonly nodeid: number;
  readonly pid: number;
  readonly seq: number;
  readonly size: number;
  /** FNV-1a 32 of the message (cpgclient.c), as 8 lowercase hex digits. */
  readonly checksum: string;
  /** Epoch milliseconds (only with the timestamps option). */
  readonly time?: number;
}

export interface CpgSent {
  readonly seq: number;
  readonly size: number;
  readonly checksum: string;
}

export interface CpgMember {
  readonly nodeid: number;
  readonly pid: number;
}

export interface CpgConfchg {
  readonly members: readonly CpgMember[];
  readonly joined: readonly CpgMember[];
  readonly left: readonly CpgMember[];
}

export interface CpgRing {
  /** As corosync prints it, e.g. "1.9". */
  readonly ringId: string;
  readonly members: readonly number[];
}

export interface CpgDone {
  readonly sent: number;
  readonly delivered: number;
  readonly bad: number;
  readonly reason: 'expect' | 'signal' | 'count' | 'error' | string;
}

export interface CpgProgress {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly sent: number;
  readonly delivered: number;
}

export interface CpgLog {
  readonly start: { readonly nodeid: number; readonly pid: number; readonly group: string } | undefined;
  readonly deliveries: readonly CpgDelivery[];
  readonly sent: readonly CpgSent[];
  readonly confchgs: readonly CpgConfchg[];
  readonly rings: readonly CpgRing[];
  /** "bad" lines: delivered messages that failed the header/checksum check. */
  readonly bad: readonly string[];
  readonly errors: readonly string[];
  readonly progress: readonly CpgProgress[];
  readonly done: CpgDone | undefined;
}

function members(field: string | undefined): CpgMember[] {
  if (field === undefined || field === '-') return [];
  return field.split(',').map((p) => {
    const [n, pid] = p.split(':');
    return { nodeid: Number(n), pid: Number(pid) };
  });
}

/** Parses a cpgclient log (see the line formats in cpgclient.c). */
export function parseCpgLog(text: string): CpgLog {
  let start: CpgLog['start'];
  let done: CpgDone | undefined;
  const deliveries: CpgDelivery[] = [];
  const sent: CpgSent[] = [];
  const confchgs: CpgConfchg[] = [];
  const rings: CpgRing[] = [];
  const bad: string[] = [];
  const errors: string[] = [];
  const progress: CpgProgress[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    switch (f[0]) {
      case 'deliver': {
        if (f.length < 6) break; // a line still being written
        const d: CpgDelivery = {
          nodeid: Number(f[1]),
          pid: Number(f[2]),
          seq: Number(f[3]),
          size: Number(f[4]),
          checksum: f[5] ?? '',
          ...(f[6] !== undefined ? { time: Number(f[6]) * 1000 } : {}),
        };
        deliveries.push(d);
        break;
      }
      case 'sent':
        if (f.length >= 4) sent.push({ seq: Number(f[1]), size: Number(f[2]), checksum: f[3] ?? '' });
        break;
      case 'confchg':
        confchgs.push({ members: members(f[1]), joined: members(f[2]), left: members(f[3]) });
        break;
      case 'ring':
        rings.push({ ringId: f[1] ?? '', members: (f[2] ?? '').split(',').filter((s) => s !== '').map(Number) });
        break;
      case 'start':
        start = { nodeid: Number(f[1]), pid: Number(f[2]), group: f.slice(3).join(' ') };
        break;
      case 'bad':
        bad.push(line);
        break;
      case 'error':
        errors.push(line);
        break;
      case 'progress':
        if (f.length >= 4) progress.push({ time: Number(f[1]) * 1000, sent: Number(f[2]), delivered: Number(f[3]) });
        break;
      case 'done':
        done = { sent: Number(f[1]), delivered: Number(f[2]), bad: Number(f[3]), reason: f[4] ?? '' };
        break;
      default:
        break;
    }
  }
  return { start, deliveries, sent, confchgs, rings, bad, errors, progress, done };
}

/** FNV-1a 32 as cpgclient.c computes it over a whole message (bytes [0,24) then [28,len)). */
export function cpgMessageChecksum(message: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < message.length; i++) {
    if (i >= 24 && i < 28) continue;
    h ^= message[i] ?? 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

/** Decodes the 32-byte cpgclient header of a CPG message body; undefined if it is not one. */
export function parseCpgMessageHeader(
  body: Uint8Array,
): { nodeid: number; pid: number; seq: number; size: number; checksum: string } | undefined {
  if (body.length < CPG_MESSAGE_HEADER_LEN) return undefined;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (v.getUint32(0, true) !== CPG_MESSAGE_MAGIC) return undefined;
  return {
    nodeid: v.getUint32(8, true),
    pid: v.getUint32(12, true),
    seq: v.getUint32(16, true),
    size: v.getUint32(20, true),
    checksum: v.getUint32(24, true).toString(16).padStart(8, '0'),
  };
}
