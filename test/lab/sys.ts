// Process and system helpers for the lab: binaries resolved once to absolute paths (test
// runners often lack /usr/sbin in PATH), async/sync command runners, tracked child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export class LabError extends Error {
  override readonly name = 'LabError';
}

export const REQUIRED_BINARIES = [
  'corosync',
  'corosync-cmapctl',
  'corosync-quorumtool',
  'corosync-cfgtool',
  'ip',
  'unshare',
  'nsenter',
  'tcpdump',
  'nft',
  'gcc',
  'mount',
] as const;
export type RequiredBinary = (typeof REQUIRED_BINARIES)[number];

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable found in PATH or the usual system directories, or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter((d) => d !== ''), ...EXTRA_PATH];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

const resolved = new Map<string, string>();

/** Absolute path of a binary, or a LabError naming it. */
export function bin(name: string): string {
  const cached = resolved.get(name);
  if (cached !== undefined) return cached;
  const found = findBinary(name);
  if (found === undefined) throw new LabError(`lab: required binary '${name}' not found in PATH or /usr/sbin`);
  resolved.set(name, found);
  return found;
}

/**
 * Throws a LabError unless running as root with every binary the lab drives installed and
 * the C CPG client's header present. Integration tests call this first so missing
 * prerequisites fail loudly rather than skip.
 */
export function requireLabPrerequisites(): void {
  const problems: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    problems.push('the lab must run as root (network namespaces, bridges, nftables, mounts)');
  }
  const missing = REQUIRED_BINARIES.filter((b) => findBinary(b) === undefined);
  if (missing.length > 0) problems.push(`missing binaries: ${missing.join(', ')}`);
  if (!existsSync('/usr/include/corosync/cpg.h')) problems.push('missing /usr/include/corosync/cpg.h (apt install libcpg-dev)');
  if (problems.length > 0) {
    throw new LabError(`lab prerequisites not met: ${problems.join('; ')}. See test/ensure-system-deps.sh / .ci/run.`);
  }
}

export interface ExecResult {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Throw a LabError when the exit status is not 0 (default true). */
  readonly check?: boolean;
  readonly input?: string | Buffer;
  /** Kill the command (SIGKILL) after this long; default 30 s. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

function describe(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs argv (argv[0] resolved with bin() unless absolute) and collects its output. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new LabError('run: empty argv'));
  const exe = cmd.startsWith('/') ? cmd : bin(cmd);
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new LabError(`${describe(argv)}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if ((opts.check ?? true) && result.code !== 0) {
        reject(
          new LabError(
            `${describe(argv)} exited with ${signal ?? result.code}: ${(result.stderr || result.stdout).trim().slice(0, 2000)}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Synchronous variant for the process 'exit' hook; never throws. */
export function runSync(argv: readonly string[], timeoutMs = 10_000): ExecResult {
  const [cmd, ...args] = argv;
  const exe = cmd === undefined ? '' : cmd.startsWith('/') ? cmd : (findBinary(cmd) ?? cmd);
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocking sleep, only for the synchronous exit-hook cleanup. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's state letter from /proc (Z = zombie), or undefined when gone. */
export function pidState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A child process the lab started and will stop.
 *
 * Long-running lab processes are unref'd (`background: true`): they alone do not keep the test
 * process alive, so a timed-out or abandoned test lets the process exit and the exit hook clean
 * up. Awaiting `exited`, `wait()` or `stop()` refs the process again for as long as needed.
 */
export class LabProcess {
  readonly pid: number;
  private readonly exitPromise: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;
  private waiters = 0;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
    private readonly background = false,
  ) {
    if (child.pid === undefined) throw new LabError(`${label}: failed to start`);
    this.pid = child.pid;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    if (background) child.unref();
  }

  /** Resolves when the process has exited (keeps the test process alive meanwhile). */
  get exited(): Promise<ProcessExit> {
    if (this.exitInfo === undefined) this.child.ref();
    return this.exitPromise;
  }

  /** Runs cb on exit without keeping the test process alive. */
  onExit(cb: (exit: ProcessExit) => void): void {
    void this.exitPromise.then(cb);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Exit status once exited, else undefined. */
  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitInfo !== undefined) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** Resolves with the exit status, or rejects after timeoutMs. */
  async wait(timeoutMs = 30_000): Promise<ProcessExit> {
    if (this.exitInfo !== undefined) return this.exitInfo;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LabError(`${this.label} (pid ${this.pid}) still running after ${timeoutMs} ms`)), timeoutMs);
    });
    this.waiters++;
    this.child.ref();
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
      this.waiters--;
      if (this.background && this.waiters === 0 && this.exitInfo === undefined) this.child.unref();
    }
  }

  /** Sends sig, waits up to graceMs, then SIGKILLs. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ProcessExit> {
    if (this.exitInfo !== undefined) return this.exitInfo;
    this.signal(sig);
    try {
      return await this.wait(graceMs);
    } catch {
      this.signal('SIGKILL');
      return this.wait(5_000);
    }
  }
}
