/**
 * Processor lists as corosync keeps them (exec/totemsrp.c memb_set_*): plain arrays of nodeids in
 * insertion order (the order is visible on the wire in JOIN messages), compared as sets.
 */
export function setHas(list: readonly number[], id: number): boolean {
  return list.includes(id);
}

/** memb_set_equal: same members, any order. */
export function setEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (const x of b) if (!a.includes(x)) return false;
  return true;
}

/** memb_set_subset: every element of `sub` is in `full`. */
export function setSubset(sub: readonly number[], full: readonly number[]): boolean {
  if (sub.length > full.length) return false;
  for (const x of sub) if (!full.includes(x)) return false;
  return true;
}

/** memb_set_merge: appends the members of `add` missing from `into` (mutates `into`). */
export function setMerge(into: number[], add: readonly number[]): void {
  for (const x of add) if (!into.includes(x)) into.push(x);
}

/** memb_set_subtract: members of `a` not in `b`, in a's order. */
export function setSubtract(a: readonly number[], b: readonly number[]): number[] {
  return a.filter((x) => !b.includes(x));
}
