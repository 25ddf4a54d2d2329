/**
 * The field catalog: one definition per field (name, type, description), shared by every output.
 *
 * Wireshark's idea (`hf_register_info`): the summary printer, the `-V` tree, `--json` keys, the
 * display filter, the TUI and metric labels all read the same table, so a field has one name
 * everywhere. Names follow Wireshark's dotted names where Wireshark has the field
 * (`corosync_totemsrp.orf_token.seq`) and extend the same tree otherwise.
 *
 * Each dissector module exports its own `FieldDef`s and a `...Tree()` function that turns a decoded
 * value into `FieldNode`s; src/catalog collects all definitions in one registry.
 */

export type FieldType =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'i32'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'ipv4'
  | 'ipv6'
  | 'ip'
  | 'ether'
  | 'time' // seconds since the epoch, fractional
  | 'duration' // seconds, fractional
  | 'float'
  | 'none'; // a subtree label with no value of its own

export interface FieldDef {
  /** Dotted, stable, Wireshark-style name: `corosync_totemsrp.orf_token.aru`. */
  readonly name: string;
  readonly type: FieldType;
  /** Short human label for the `-V` tree: `ARU`. */
  readonly label: string;
  /** One or two sentences: what the value means and where it comes from. */
  readonly description: string;
  /** Print integers in hex in trees and summaries. */
  readonly hex?: boolean;
  /** Names for enumerated values, shown next to the number. */
  readonly values?: Readonly<Record<number, string>>;
}

export type FieldValue = number | bigint | string | boolean | Uint8Array;

/** One node of a decoded frame's tree: a field, its value (if any) and its children. */
export interface FieldNode {
  readonly field: FieldDef;
  readonly value?: FieldValue;
  /** Extra text shown after the value in the `-V` tree (e.g. "(not meaningful on udpu)"). */
  readonly note?: string;
  readonly children?: readonly FieldNode[];
}

/** Declares a group of fields sharing a prefix; keeps names typed and typo-free at use sites. */
export function defineFields<const K extends string>(
  prefix: string,
  defs: { readonly [P in K]: Omit<FieldDef, 'name'> & { readonly name?: string } },
): { readonly [P in K]: FieldDef } {
  const out = {} as { [P in K]: FieldDef };
  for (const key of Object.keys(defs) as K[]) {
    const d = defs[key];
    out[key] = { ...d, name: d.name ?? (key === '' ? prefix : `${prefix}.${key}`) };
  }
  return out;
}

export function node(field: FieldDef, value?: FieldValue, children?: readonly FieldNode[], note?: string): FieldNode {
  const n: { field: FieldDef; value?: FieldValue; children?: readonly FieldNode[]; note?: string } = { field };
  if (value !== undefined) n.value = value;
  if (children !== undefined) n.children = children;
  if (note !== undefined) n.note = note;
  return n;
}
