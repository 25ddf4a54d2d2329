/**
 * The protocol guarantees, checked over what every node incarnation delivered (Amir et al., "The Totem
 * single-ring ordering and membership protocol"; corosync's extended virtual synchrony):
 * agreed order, integrity, virtual synchrony, self-delivery, growing ring ids.
 */

export type NodeEvent =
  | { readonly k: 'd'; readonly ring: string; readonly seq: number; readonly sender: number; readonly id: string }
  | { readonly k: 't' | 'r'; readonly ring: string; readonly ringSeq: bigint; readonly members: readonly number[] };

/** One run of one node between a (re)start and a crash or the end. */
export interface IncarnationRecord {
  readonly nodeid: number;
  readonly inc: number;
  readonly events: NodeEvent[];
  /** Payload ids accepted by submit(). */
  readonly submitted: string[];
  aliveAtEnd: boolean;
  readonly startRingSeq: bigint;
}

export type ViolationKind =
  | 'agreed-order'
  | 'integrity'
  | 'virtual-synchrony'
  | 'self-delivery'
  | 'ring-id-growth'
  | 'no-single-ring'
  | 'timer-leak'
  | 'exception'
  | 'stalled';

export interface Violation {
  readonly kind: ViolationKind;
  readonly seed: number;
  readonly atMs: number;
  readonly text: string;
}

interface Epoch {
  readonly from: string;
  readonly to: string;
  readonly trans: readonly number[];
  readonly pre: ReadonlySet<string>;
  readonly post: ReadonlySet<string>;
}

function name(r: IncarnationRecord): string {
  return `node ${r.nodeid}#${r.inc}`;
}

export function checkRun(records: readonly IncarnationRecord[], seed: number, atMs: number): Violation[] {
  const out: Violation[] = [];
  const v = (kind: ViolationKind, text: string): void => {
    if (out.length < 50) out.push({ kind, seed, atMs, text });
  };

  // Integrity: one (ring, seq) ↔ one payload, delivered at most once per node, sender is the submitter.
  const keyToId = new Map<string, string>();
  const idToKey = new Map<string, string>();
  const lists: { rec: IncarnationRecord; ids: string[]; index: Map<string, number> }[] = [];
  for (const rec of records) {
    const ids: string[] = [];
    const index = new Map<string, number>();
    for (const ev of rec.events) {
      if (ev.k !== 'd') continue;
      const key = `${ev.ring}/${ev.seq}`;
      const known = keyToId.get(key);
      if (known === undefined) keyToId.set(key, ev.id);
      else if (known !== ev.id) v('integrity', `${name(rec)} delivered ${ev.id} as ${key}, others got ${known}`);
      const knownKey = idToKey.get(ev.id);
      if (knownKey === undefined) idToKey.set(ev.id, key);
      else if (knownKey !== key) v('integrity', `${ev.id} ordered as ${key} and as ${knownKey}`);
      if (index.has(ev.id)) v('integrity', `${name(rec)} delivered ${ev.id} twice`);
      if (!ev.id.startsWith(`${ev.sender}:`)) v('integrity', `${name(rec)} got ${ev.id} with sender ${ev.sender}`);
      index.set(ev.id, ids.length);
      ids.push(ev.id);
    }
    lists.push({ rec, ids, index });
  }

  // Agreed order: messages two nodes both delivered appear in the same relative order.
  for (let a = 0; a < lists.length; a++) {
    for (let b = a + 1; b < lists.length; b++) {
      const A = lists[a]!;
      const B = lists[b]!;
      let last = -1;
      for (const id of A.ids) {
        const j = B.index.get(id);
        if (j === undefined) continue;
        if (j < last) {
          v('agreed-order', `${name(A.rec)} and ${name(B.rec)} deliver ${id} in different orders`);
          break;
        }
        last = j;
      }
    }
  }

  // Ring ids only grow within an incarnation, and start above what the node had persisted.
  for (const rec of records) {
    let last = rec.startRingSeq;
    for (const ev of rec.events) {
      if (ev.k !== 'r') continue;
      if (ev.ringSeq <= last) v('ring-id-growth', `${name(rec)} installed ring ${ev.ring} after seq ${last.toString(16)}`);
      last = ev.ringSeq;
    }
  }

  // Virtual synchrony: two nodes that move together from regular configuration R to R' (both in the
  // transitional configuration) delivered the same messages in R, before and after the transitional one.
  const epochsByKey = new Map<string, { rec: IncarnationRecord; epoch: Epoch }[]>();
  for (const rec of records) {
    let from: string | null = null;
    let trans: readonly number[] | null = null;
    let pre = new Set<string>();
    let post = new Set<string>();
    for (const ev of rec.events) {
      if (ev.k === 'd') (trans === null ? pre : post).add(ev.id);
      else if (ev.k === 't') trans = ev.members;
      else {
        if (from !== null && trans !== null) {
          const epoch: Epoch = { from, to: ev.ring, trans, pre, post };
          const key = `${from}>${ev.ring}`;
          const list = epochsByKey.get(key) ?? [];
          list.push({ rec, epoch });
          epochsByKey.set(key, list);
        }
        from = ev.ring;
        trans = null;
        pre = new Set();
        post = new Set();
      }
    }
  }
  for (const [key, list] of epochsByKey) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const A = list[a]!;
        const B = list[b]!;
        if (!A.epoch.trans.includes(B.rec.nodeid) || !B.epoch.trans.includes(A.rec.nodeid)) continue;
        const preDiff = symmetricDifference(A.epoch.pre, B.epoch.pre);
        const postDiff = symmetricDifference(A.epoch.post, B.epoch.post);
        if (preDiff.length || postDiff.length) {
          v(
            'virtual-synchrony',
            `${name(A.rec)} and ${name(B.rec)} moved ${key} together but delivered different messages` +
              ` (regular part differs by ${preDiff.slice(0, 5).join(' ')}; transitional part by ${postDiff.slice(0, 5).join(' ')})`,
          );
        }
      }
    }
  }

  // Self-delivery: a node that stayed up delivered everything it submitted.
  for (const L of lists) {
    if (!L.rec.aliveAtEnd) continue;
    const missing = L.rec.submitted.filter((id) => !L.index.has(id));
    if (missing.length) {
      v('self-delivery', `${name(L.rec)} never delivered ${missing.length} of its own messages (${missing.slice(0, 5).join(' ')})`);
    }
  }
  return out;
}

function symmetricDifference(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const x of a) if (!b.has(x)) out.push(x);
  for (const x of b) if (!a.has(x)) out.push(x);
  return out;
}
