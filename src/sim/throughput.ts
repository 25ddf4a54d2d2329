/**
 * Throughput of the engine alone: N engines on a zero-latency FIFO network (no I/O, no timers firing),
 * every node keeps its send queue full, and we count messages ordered (delivered by every node).
 * The figure answers "can the engine be the bottleneck of a real ring?" (issue 6).
 */
import type { TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { TotemEngine } from '../engine/engine.ts';
import { corosyncTimers, MembState } from '../engine/types.ts';

export interface ThroughputResult {
  readonly nodes: number;
  readonly messageSize: number;
  /** Messages delivered by every node, in the same order. */
  readonly ordered: number;
  readonly wallMs: number;
  /** CPU time of this process while measuring (user + system): steadier than wall time on a busy host. */
  readonly cpuMs: number;
  readonly orderedPerSecond: number;
  readonly orderedPerCpuSecond: number;
  readonly tokenHops: number;
  /** True when all nodes delivered the same sequence. */
  readonly sameOrder: boolean;
}

export function measureThroughput(opts: { nodes?: number; messageSize?: number; messages?: number } = {}): ThroughputResult {
  const n = opts.nodes ?? 5;
  const size = opts.messageSize ?? 1024;
  const target = opts.messages ?? 100_000;
  const timers = corosyncTimers({ token: 3000, nodes: n });
  const engines: TotemEngine[] = [];
  for (let id = 1; id <= n; id++) {
    engines.push(new TotemEngine({ nodeid: id, timers, initialRingSeq: 0n, random: () => 0.5 }));
  }
  const queue: { to: number; msg: TotemMessage }[] = [];
  let head = 0;
  let now = 0;
  let tokenHops = 0;
  const deliveredCount = new Array<number>(n + 1).fill(0);
  // Order check without storing everything: a running hash of the delivery sequence per node.
  const orderHash = new Array<number>(n + 1).fill(0);
  let measuring = false;

  const pump = (e: TotemEngine): void => {
    for (const a of e.takeActions()) {
      if (a.type === 'send') {
        if (a.to === 'multicast') {
          for (let id = 1; id <= n; id++) queue.push({ to: id, msg: a.msg });
        } else {
          if (a.msg.kind === 'orf_token') tokenHops++;
          queue.push({ to: a.to, msg: a.msg });
        }
      } else if (a.type === 'deliver' && measuring) {
        deliveredCount[e.nodeid]!++;
        orderHash[e.nodeid] = (Math.imul(orderHash[e.nodeid]!, 31) + a.seq + a.sender * 7919) | 0;
      }
    }
  };
  const runQueue = (limit: number): void => {
    for (let i = 0; i < limit && head < queue.length; i++) {
      const f = queue[head++]!;
      const e = engines[f.to - 1]!;
      e.step(f.msg, now);
      pump(e);
      if (head > 65536) {
        queue.splice(0, head);
        head = 0;
      }
    }
  };

  // Form the ring (timers matter here; advance virtual time through them).
  for (const e of engines) {
    e.start(now);
    pump(e);
  }
  for (let guard = 0; guard < 100_000 && !engines.every((e) => e.state === MembState.OPERATIONAL && e.members.length === n); guard++) {
    if (head < queue.length) {
      runQueue(1);
      continue;
    }
    const next = Math.min(...engines.map((e) => e.nextTimerDeadline() ?? Infinity));
    now = next;
    for (const e of engines) {
      e.tick(now);
      pump(e);
    }
  }

  const payload = new Uint8Array(size);
  const perNode = Math.ceil(target / n);
  const refill = (): void => {
    for (const e of engines) {
      while (e.pendingMessages < 256 && submittedBy[e.nodeid]! < perNode) {
        e.submit(payload, now);
        submittedBy[e.nodeid]!++;
        pump(e);
      }
    }
  };
  const submittedBy = new Array<number>(n + 1).fill(0);
  measuring = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  refill();
  // Time stands still: only frames move. Refill the queues every few thousand frames.
  while (Math.min(...deliveredCount.slice(1)) < perNode * n) {
    const before = head;
    runQueue(4096);
    refill();
    if (head === before && head >= queue.length) {
      // The token is held (idle ring): wake it up through the hold timer.
      now += timers.hold;
      for (const e of engines) {
        e.tick(now);
        pump(e);
      }
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ordered = Math.min(...deliveredCount.slice(1));
  const sameOrder = orderHash.slice(1).every((h) => h === orderHash[1]);
  return {
    nodes: n,
    messageSize: size,
    ordered,
    wallMs,
    cpuMs,
    orderedPerSecond: ordered / (wallMs / 1000),
    orderedPerCpuSecond: ordered / (cpuMs / 1000),
    tokenHops,
    sameOrder,
  };
}
