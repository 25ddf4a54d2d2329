// Parser for corosync 3.1.7 log files written with `timestamp: hires` to a logfile:
//   "Nov 22 05:26:05.718 [11081] vm corosync notice  [TOTEM ] A new membership (1.9) was formed. Members joined: 2 3"
// Strings matched are the verbatim operator strings of wire-format.md §6.10.

export interface LogLine {
  /** Epoch milliseconds (local time of the machine, as corosync prints it; year supplied by the caller). */
  readonly time: number;
  /** corosync's pid (0 for stderr-format lines, which do not carry it). */
  readonly pid: number;
  readonly priority: string;
  /** Subsystem without padding: TOTEM, QUORUM, MAIN, KNET, CPG, ... */
  readonly subsys: string;
  readonly message: string;
  /** 0-based line number in the file. */
  readonly lineNo: number;
}

export interface MembershipEvent {
  readonly time: number;
  /** Ring id as corosync prints it, e.g. "1.9" (rep hex . seq hex). */
  readonly ringId: string;
  readonly rep: number;
  readonly seq: bigint;
  readonly joined: readonly number[];
  readonly left: readonly number[];
}

export interface QuorumMembersEvent {
  readonly time: number;
  readonly members: readonly number[];
}

export interface TokenTimeoutEvent {
  readonly time: number;
  readonly tokenMs: number;
  readonly consensusMs: number;
}

export interface RetransmitEvent {
  readonly time: number;
  /** Sequence numbers listed (corosync prints them in hex). */
  readonly seqs: readonly number[];
}

export interface KnetLinkEvent {
  readonly time: number;
  readonly host: number;
  readonly link: number;
  readonly up: boolean;
}

export interface CorosyncLog {
  readonly lines: readonly LogLine[];
  readonly memberships: readonly MembershipEvent[];
  readonly quorumMembers: readonly QuorumMembersEvent[];
  /** Times of "Completed service synchronization, ready to provide service." */
  readonly syncCompleted: readonly number[];
  readonly tokenTimeouts: readonly TokenTimeoutEvent[];
  readonly retransmits: readonly RetransmitEvent[];
  readonly knetLinks: readonly KnetLinkEvent[];
  /** "Failed to receive the leave message. failed: ..." node lists. */
  readonly failedToReceiveLeave: readonly { readonly time: number; readonly nodes: readonly number[] }[];
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

// The "[pid] host corosync" part is only in logfile lines; stderr lines (../shared/captures/*.log) lack it.
const LINE_RE =
  /^(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (?:\[(\d+)\] \S+ \S+ +)?(\w+) +\[([A-Z0-9_]+) *\] ?(.*)$/;

function ids(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((s) => Number(s));
}

/** Parses one log line; undefined for lines that are not in corosync's logfile format. */
export function parseLogLine(text: string, year: number, lineNo = 0): LogLine | undefined {
  const m = LINE_RE.exec(text);
  if (m === null) return undefined;
  const [, mon, day, hh, mm, ss, frac, pid, priority, subsys, message] = m;
  const month = MONTHS[mon ?? ''];
  if (month === undefined) return undefined;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const time = new Date(year, month, Number(day), Number(hh), Number(mm), Number(ss), ms).getTime();
  return { time, pid: pid === undefined ? 0 : Number(pid), priority: priority ?? '', subsys: subsys ?? '', message: message ?? '', lineNo };
}

/** Parses a corosync logfile into lines and the events tests compare with captures. */
export function parseCorosyncLog(text: string, year = new Date().getFullYear()): CorosyncLog {
  const lines: LogLine[] = [];
  const memberships: MembershipEvent[] = [];
  const quorumMembers: QuorumMembersEvent[] = [];
  const syncCompleted: number[] = [];
  const tokenTimeouts: TokenTimeoutEvent[] = [];
  const retransmits: RetransmitEvent[] = [];
  const knetLinks: KnetLinkEvent[] = [];
  const failedToReceiveLeave: { time: number; nodes: number[] }[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const l = parseLogLine(raw[i] ?? '', year, i);
    if (l === undefined) continue;
    lines.push(l);
    const msg = l.message;
    let m: RegExpExecArray | null;
    if ((m = /^A new membership \(([0-9a-f]+)\.([0-9a-f]+)\) was formed\. Members(?: joined: ([\d ]+?))?(?: left: ([\d ]+?))?\s*$/.exec(msg))) {
      memberships.push({
        time: l.time,
        ringId: `${m[1]}.${m[2]}`,
        rep: Number.parseInt(m[1] ?? '0', 16),
        seq: BigInt(`0x${m[2] ?? '0'}`),
        joined: ids(m[3]),
        left: ids(m[4]),
      });
    } else if (l.subsys === 'QUORUM' && (m = /^Members\[(\d+)\]:([\d ]*)$/.exec(msg))) {
      quorumMembers.push({ time: l.time, members: ids(m[2]) });
    } else if (msg.startsWith('Completed service synchronization')) {
      syncCompleted.push(l.time);
    } else if ((m = /token timed out \((\d+)ms\), waiting (\d+)ms for consensus/.exec(msg))) {
      tokenTimeouts.push({ time: l.time, tokenMs: Number(m[1]), consensusMs: Number(m[2]) });
    } else if ((m = /^Retransmit List:([0-9a-f ]*)$/.exec(msg))) {
      retransmits.push({
        time: l.time,
        seqs: (m[1] ?? '').trim().split(/\s+/).filter((s) => s !== '').map((s) => Number.parseInt(s, 16)),
      });
    } else if ((m = /host: (\d+) link: (\d+) is (up|down)/.exec(msg))) {
      knetLinks.push({ time: l.time, host: Number(m[1]), link: Number(m[2]), up: m[3] === 'up' });
    } else if ((m = /^Failed to receive the leave message\. failed:([\d ]*)$/.exec(msg))) {
      failedToReceiveLeave.push({ time: l.time, nodes: ids(m[1]) });
    }
  }
  return { lines, memberships, quorumMembers, syncCompleted, tokenTimeouts, retransmits, knetLinks, failedToReceiveLeave };
}
