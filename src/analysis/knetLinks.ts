/**
 * knet link statistics from decoded knet packets and their capture times (wire-format.md §7.3,
 * §7.4, §8): per link and node pair, packet counts by type, ping→pong round-trip times, lost pongs,
 * link down/up inferred from missing pongs, PMTUD probes and the MTU a link settles on.
 *
 * Pure: no clocks, no I/O; feed `add()` in capture order, read `report()` (plain objects).
 *
 * Ping/pong matching: a PONG echoes its PING byte for byte, but the ping seq is the pinger's data tx
 * seq (it repeats while no data is sent), so pings are matched by (pinger address, responder
 * address, link, seq, embedded timestamp). RTT = pong capture time − ping capture time (the capture
 * point's view). The embedded view uses the timestamp the pinger wrote (its CLOCK_MONOTONIC): the
 * clock offset to capture time is estimated per pinger as the minimum of (capture − embedded) over
 * its pings, and embedded RTT = pong capture − (embedded + offset), i.e. as seen from the pinger's
 * send instant; it also gives the ping interval in the pinger's own clock.
 */
import type { KnetResult } from '../../dissectors/knet/decoder.ts';
import { pingTimeNs } from '../../dissectors/knet/ping.ts';

export interface KnetLinkObservation {
  readonly timeNs: bigint;
  /** IP source/destination of the UDP datagram. */
  readonly src: string;
  readonly dst: string;
  /** UDP payload length (bytes on the wire above UDP); optional. */
  readonly length?: number;
  readonly result: KnetResult;
}

export interface KnetLinkOptions {
  /**
   * knet pong timeout (corosync knet_pong_timeout; logged as "timeout update - ... timeout: µs",
   * 1825 ms with token 3000, 825 ms with token 1000). A ping without pong after this long is lost;
   * the down rule scales it by knet's backoff. Default 2 s.
   */
  readonly pongTimeoutNs?: bigint;
  /**
   * knet ping interval (corosync knet_ping_interval; node logs print it as "timeout update -
   * interval: µs"). Informational for now: the down rule needs only the pong timeout.
   */
  readonly pingIntervalNs?: bigint;
  /** knet pong_count (corosync default 2): the link comes up on the pong after this many. */
  readonly pongCount?: number;
  /**
   * Model knet 1.25's pong-timeout backoff (default true): the effective timeout is
   * pong_timeout × backoff + 2 × latency, with backoff reset to 10 when the link is configured or
   * goes down and decreased by 1 every second down to 1 (KN libknet/threads_heartbeat.c).
   * false: a plain pong timeout.
   */
  readonly backoff?: boolean;
  /** Probes more than this apart start a new PMTUD round (default 5 s). */
  readonly pmtudRoundGapNs?: bigint;
  /** Cap on stored RTT samples per path (memory bound; default 100 000). */
  readonly maxSamples?: number;
}

export interface KnetTrafficStats {
  readonly link: number;
  /** Sender and receiver: node id when known (learned from the address's own packets), else the address. */
  readonly from: number | string;
  readonly to: number | string;
  readonly fromAddress: string;
  readonly toAddress: string;
  readonly packets: number;
  readonly bytes: number;
  readonly data: number;
  readonly ping: number;
  readonly pong: number;
  readonly pmtud: number;
  readonly pmtudReply: number;
  readonly errors: number;
  readonly firstTimeNs: bigint;
  readonly lastTimeNs: bigint;
}

export interface RttSummary {
  readonly samples: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface KnetLinkEvent {
  /**
   * up: the `pongCount`-th pong while down (every path starts down, as in knet); down: no pong for
   * the pong timeout after being up (time = last pong + timeout). Capture times.
   */
  readonly kind: 'down' | 'up';
  readonly timeNs: bigint;
}

export interface KnetPingPath {
  readonly link: number;
  readonly pinger: number | string;
  readonly responder: number | string;
  readonly pingerAddress: string;
  readonly responderAddress: string;
  readonly pings: number;
  readonly forcedPings: number;
  readonly pongs: number;
  /** Pings never answered within the pong timeout (pending at the end of input are not counted). */
  readonly lostPongs: number;
  /** Pongs whose ping was not captured. */
  readonly unmatchedPongs: number;
  /** Capture-time RTT (pong capture − ping capture). */
  readonly rtt: RttSummary | null;
  /** RTT from the pinger's embedded send timestamp (see module comment). */
  readonly embeddedRtt: RttSummary | null;
  /** Median interval between this pinger's pings on this path, by its own clock. */
  readonly embeddedPingIntervalMs: number | null;
  readonly events: readonly KnetLinkEvent[];
}

export interface KnetPmtudPath {
  readonly link: number;
  readonly prober: number | string;
  readonly peer: number | string;
  readonly proberAddress: string;
  readonly peerAddress: string;
  readonly probes: number;
  readonly replies: number;
  readonly rounds: number;
  /** Largest replied probe size (on-wire IP packet size) in the latest round that got replies. */
  readonly settledMtu: number | null;
  /** All probe sizes of the latest round, in order, with whether a reply was seen. */
  readonly lastRound: readonly { readonly size: number; readonly replied: boolean }[];
}

export interface KnetLinksReport {
  readonly traffic: readonly KnetTrafficStats[];
  readonly pings: readonly KnetPingPath[];
  readonly pmtud: readonly KnetPmtudPath[];
}

interface Traffic {
  link: number;
  fromAddress: string;
  toAddress: string;
  packets: number;
  bytes: number;
  data: number;
  ping: number;
  pong: number;
  pmtud: number;
  pmtudReply: number;
  errors: number;
  firstTimeNs: bigint;
  lastTimeNs: bigint;
}

interface OutstandingPing {
  readonly sentNs: bigint;
  readonly embeddedNs: bigint;
}

interface PingPath {
  link: number;
  pingerAddress: string;
  responderAddress: string;
  pings: number;
  forcedPings: number;
  pongs: number;
  lostPongs: number;
  unmatchedPongs: number;
  readonly outstanding: Map<string, OutstandingPing>;
  readonly rttNs: number[];
  /** pong capture − embedded send time (ns), per matched pong; the clock offset is applied at report time. */
  readonly embeddedDeltas: number[];
  lastEmbeddedNs: bigint | null;
  readonly intervalsNs: number[];
  lastPongNs: bigint | null;
  /** When knet's backoff was last reset to 10 (first ping on the path, or the last down). */
  backoffResetNs: bigint | null;
  down: boolean;
  /** Pongs seen since the last down event. */
  upPongs: number;
  readonly events: KnetLinkEvent[];
}

interface PmtudPath {
  link: number;
  proberAddress: string;
  peerAddress: string;
  probes: number;
  replies: number;
  rounds: { size: number; replied: boolean }[][];
  lastProbeNs: bigint | null;
}

function senderNode(r: KnetResult): number | undefined {
  switch (r.kind) {
    case 'data':
      return r.data.header.node;
    case 'ping':
    case 'pong':
      return r.ping.header.node;
    case 'pmtud':
    case 'pmtud_reply':
      return r.pmtud.header.node;
    default:
      return undefined;
  }
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function summarize(ns: readonly number[]): RttSummary | null {
  if (ns.length === 0) return null;
  const s = [...ns].sort((a, b) => a - b);
  const ms = (x: number): number => x / 1e6;
  return {
    samples: s.length,
    minMs: ms(s[0]!),
    p50Ms: ms(quantile(s, 0.5)),
    p99Ms: ms(quantile(s, 0.99)),
    maxMs: ms(s[s.length - 1]!),
    meanMs: ms(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export class KnetLinkAnalyzer {
  readonly #pongTimeoutNs: bigint;
  readonly #pongCount: number;
  readonly #backoff: boolean;
  readonly #roundGapNs: bigint;
  readonly #maxSamples: number;
  readonly #traffic = new Map<string, Traffic>();
  readonly #pingPaths = new Map<string, PingPath>();
  readonly #pmtudPaths = new Map<string, PmtudPath>();
  readonly #ipToNode = new Map<string, number>();
  /** Per pinger address: min(capture − embedded) over its pings. */
  readonly #clockOffset = new Map<string, bigint>();
  #lastTimeNs = 0n;

  constructor(opts: KnetLinkOptions = {}) {
    this.#pongTimeoutNs = opts.pongTimeoutNs ?? 2_000_000_000n;
    this.#pongCount = opts.pongCount ?? 2;
    this.#backoff = opts.backoff ?? true;
    this.#roundGapNs = opts.pmtudRoundGapNs ?? 5_000_000_000n;
    this.#maxSamples = opts.maxSamples ?? 100_000;
  }

  add(o: KnetLinkObservation): void {
    const r = o.result;
    this.#lastTimeNs = o.timeNs;
    this.#expirePings(o.timeNs);
    const node = senderNode(r);
    if (node !== undefined) this.#ipToNode.set(o.src, node);

    const t = this.#trafficFor(r.link, o.src, o.dst, o.timeNs);
    t.packets++;
    t.bytes += o.length ?? 0;
    t.lastTimeNs = o.timeNs;
    switch (r.kind) {
      case 'error':
        t.errors++;
        return;
      case 'data':
        t.data++;
        return;
      case 'ping':
        t.ping++;
        this.#onPing(o, r.ping.link, r.ping.seqNum, pingTimeNs(r.ping), r.ping.timed);
        return;
      case 'pong':
        t.pong++;
        this.#onPong(o, r.ping.link, r.ping.seqNum, pingTimeNs(r.ping));
        return;
      case 'pmtud':
        t.pmtud++;
        this.#onProbe(o, r.pmtud.link, r.pmtud.size);
        return;
      case 'pmtud_reply':
        t.pmtudReply++;
        this.#onProbeReply(o, r.pmtud.link, r.pmtud.size);
        return;
    }
  }

  #name(address: string): number | string {
    return this.#ipToNode.get(address) ?? address;
  }

  #trafficFor(link: number, from: string, to: string, timeNs: bigint): Traffic {
    const key = `${link}|${from}|${to}`;
    let t = this.#traffic.get(key);
    if (!t) {
      t = { link, fromAddress: from, toAddress: to, packets: 0, bytes: 0, data: 0, ping: 0, pong: 0, pmtud: 0, pmtudReply: 0, errors: 0, firstTimeNs: timeNs, lastTimeNs: timeNs };
      this.#traffic.set(key, t);
    }
    return t;
  }

  #pingPath(link: number, pinger: string, responder: string): PingPath {
    const key = `${link}|${pinger}|${responder}`;
    let p = this.#pingPaths.get(key);
    if (!p) {
      p = {
        link,
        pingerAddress: pinger,
        responderAddress: responder,
        pings: 0,
        forcedPings: 0,
        pongs: 0,
        lostPongs: 0,
        unmatchedPongs: 0,
        outstanding: new Map(),
        rttNs: [],
        embeddedDeltas: [],
        lastEmbeddedNs: null,
        intervalsNs: [],
        lastPongNs: null,
        backoffResetNs: null,
        // knet starts every link down; `pongCount` pongs bring it up (the log's "is up").
        down: true,
        upPongs: 0,
        events: [],
      };
      this.#pingPaths.set(key, p);
    }
    return p;
  }

  #onPing(o: KnetLinkObservation, link: number, seq: number, embeddedNs: bigint, timed: number): void {
    const p = this.#pingPath(link, o.src, o.dst);
    p.pings++;
    p.backoffResetNs ??= o.timeNs;
    if (!timed) p.forcedPings++;
    p.outstanding.set(`${seq}|${embeddedNs}`, { sentNs: o.timeNs, embeddedNs });
    const offset = o.timeNs - embeddedNs;
    const known = this.#clockOffset.get(o.src);
    if (known === undefined || offset < known) this.#clockOffset.set(o.src, offset);
    if (timed) {
      if (p.lastEmbeddedNs !== null && p.intervalsNs.length < this.#maxSamples) p.intervalsNs.push(Number(embeddedNs - p.lastEmbeddedNs));
      p.lastEmbeddedNs = embeddedNs;
    }
  }

  #onPong(o: KnetLinkObservation, link: number, seq: number, embeddedNs: bigint): void {
    // A pong travels responder → pinger.
    const p = this.#pingPath(link, o.dst, o.src);
    p.pongs++;
    const key = `${seq}|${embeddedNs}`;
    const ping = p.outstanding.get(key);
    if (ping === undefined) {
      p.unmatchedPongs++;
    } else {
      p.outstanding.delete(key);
      if (p.rttNs.length < this.#maxSamples) {
        p.rttNs.push(Number(o.timeNs - ping.sentNs));
        p.embeddedDeltas.push(Number(o.timeNs - ping.embeddedNs));
      }
    }
    this.#checkGap(p, o.timeNs);
    p.lastPongNs = o.timeNs;
    if (p.down) {
      // knet: received_pong counts pongs while down; the one after pong_count of them brings it up.
      p.upPongs++;
      if (p.upPongs > this.#pongCount) {
        p.down = false;
        p.events.push({ kind: 'up', timeNs: o.timeNs });
      }
    }
  }

  /** A gap longer than the (effective) pong timeout since the last pong: knet declared the link down. */
  #checkGap(p: PingPath, nowNs: bigint): void {
    if (p.down || p.lastPongNs === null) return;
    const downAt = this.#downTime(p);
    if (downAt <= nowNs) {
      p.down = true;
      p.upPongs = 0;
      p.backoffResetNs = downAt;
      p.events.push({ kind: 'down', timeNs: downAt });
    }
  }

  /** Earliest time t after the last pong with t − lastPong ≥ timeout × backoff(t) + 2 × latency. */
  #downTime(p: PingPath): bigint {
    const last = p.lastPongNs!;
    if (!this.#backoff) return last + this.#pongTimeoutNs;
    const n = p.rttNs.length;
    const latencyNs = n === 0 ? 0n : BigInt(Math.round(p.rttNs.reduce((a, b) => a + b, 0) / n));
    const reset = p.backoffResetNs ?? last;
    const second = 1_000_000_000n;
    let best: bigint | undefined;
    for (let b = 10; b >= 1; b--) {
      // backoff is b during [reset + (10−b) s, reset + (11−b) s); 1 from reset + 9 s on.
      const from = reset + BigInt(10 - b) * second;
      const until = b === 1 ? undefined : from + second;
      const need = last + this.#pongTimeoutNs * BigInt(b) + 2n * latencyNs;
      const t = need > from ? need : from;
      if (until === undefined || t < until) {
        if (best === undefined || t < best) best = t;
      }
    }
    return best!;
  }

  #expirePings(nowNs: bigint): void {
    for (const p of this.#pingPaths.values()) {
      for (const [k, ping] of p.outstanding) {
        if (nowNs - ping.sentNs > this.#pongTimeoutNs) {
          p.outstanding.delete(k);
          p.lostPongs++;
        }
      }
      this.#checkGap(p, nowNs);
    }
  }

  #onProbe(o: KnetLinkObservation, link: number, size: number): void {
    const key = `${link}|${o.src}|${o.dst}`;
    let p = this.#pmtudPaths.get(key);
    if (!p) {
      p = { link, proberAddress: o.src, peerAddress: o.dst, probes: 0, replies: 0, rounds: [], lastProbeNs: null };
      this.#pmtudPaths.set(key, p);
    }
    p.probes++;
    if (p.lastProbeNs === null || o.timeNs - p.lastProbeNs > this.#roundGapNs) {
      p.rounds.push([]);
      if (p.rounds.length > 64) p.rounds.shift();
    }
    p.lastProbeNs = o.timeNs;
    const round = p.rounds[p.rounds.length - 1]!;
    if (round.length < 256) round.push({ size, replied: false });
  }

  #onProbeReply(o: KnetLinkObservation, link: number, size: number): void {
    // A reply travels peer → prober.
    const p = this.#pmtudPaths.get(`${link}|${o.dst}|${o.src}`);
    if (!p) return;
    p.replies++;
    const round = p.rounds[p.rounds.length - 1];
    const probe = round?.findLast((x) => x.size === size && !x.replied);
    if (probe) probe.replied = true;
  }

  report(): KnetLinksReport {
    const traffic: KnetTrafficStats[] = [...this.#traffic.values()].map((t) => ({
      link: t.link,
      from: this.#name(t.fromAddress),
      to: this.#name(t.toAddress),
      fromAddress: t.fromAddress,
      toAddress: t.toAddress,
      packets: t.packets,
      bytes: t.bytes,
      data: t.data,
      ping: t.ping,
      pong: t.pong,
      pmtud: t.pmtud,
      pmtudReply: t.pmtudReply,
      errors: t.errors,
      firstTimeNs: t.firstTimeNs,
      lastTimeNs: t.lastTimeNs,
    }));
    const pings: KnetPingPath[] = [...this.#pingPaths.values()].map((p) => {
      const offset = this.#clockOffset.get(p.pingerAddress);
      const embedded = offset === undefined ? [] : p.embeddedDeltas.map((d) => d - Number(offset));
      const intervals = [...p.intervalsNs].sort((a, b) => a - b);
      return {
        link: p.link,
        pinger: this.#name(p.pingerAddress),
        responder: this.#name(p.responderAddress),
        pingerAddress: p.pingerAddress,
        responderAddress: p.responderAddress,
        pings: p.pings,
        forcedPings: p.forcedPings,
        pongs: p.pongs,
        lostPongs: p.lostPongs,
        unmatchedPongs: p.unmatchedPongs,
        rtt: summarize(p.rttNs),
        embeddedRtt: summarize(embedded),
        embeddedPingIntervalMs: intervals.length ? quantile(intervals, 0.5) / 1e6 : null,
        events: [...p.events],
      };
    });
    const pmtud: KnetPmtudPath[] = [...this.#pmtudPaths.values()].map((p) => {
      const withReply = p.rounds.filter((r) => r.some((x) => x.replied));
      const last = withReply[withReply.length - 1];
      const settled = last ? Math.max(...last.filter((x) => x.replied).map((x) => x.size)) : null;
      return {
        link: p.link,
        prober: this.#name(p.proberAddress),
        peer: this.#name(p.peerAddress),
        proberAddress: p.proberAddress,
        peerAddress: p.peerAddress,
        probes: p.probes,
        replies: p.replies,
        rounds: p.rounds.length,
        settledMtu: settled,
        lastRound: (p.rounds[p.rounds.length - 1] ?? []).map((x) => ({ ...x })),
      };
    });
    return { traffic, pings, pmtud };
  }

  /** Capture time of the last observation (for callers that want to close out the run). */
  get lastTimeNs(): bigint {
    return this.#lastTimeNs;
  }
}

/** knet's data MTU for a path MTU (KN libknet/onwire.c; wire-format.md §7.4). */
export function knetDataMtu(pmtu: number, opts: { ipv6?: boolean; cipher?: 'none' | 'aes128' | 'aes192' | 'aes256'; hashLength?: number } = {}): number {
  const l = pmtu - (opts.ipv6 ? 40 : 20) - 8;
  const hash = opts.hashLength ?? 0;
  if (opts.cipher && opts.cipher !== 'none') {
    let t = l - 16 - hash;
    t -= (t % 16) + 1;
    return t - 26;
  }
  return l - 26 - hash;
}

export function analyzeKnetLinks(observations: Iterable<KnetLinkObservation>, opts: KnetLinkOptions = {}): KnetLinksReport {
  const a = new KnetLinkAnalyzer(opts);
  for (const o of observations) a.add(o);
  return a.report();
}
