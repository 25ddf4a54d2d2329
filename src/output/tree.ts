/** The `-V` view: a decoded frame's field tree, indented like tshark -V. */
import type { FieldNode, FieldValue } from '../../dissectors/catalog.ts';
import { formatValue } from './values.ts';

export function renderTree(nodes: readonly FieldNode[], indent = 0, out: string[] = []): string[] {
  const pad = '    '.repeat(indent);
  for (const n of nodes) {
    let line = pad + n.field.label;
    if (n.value !== undefined) line += `: ${formatValue(n.field, n.value)}`;
    if (n.note !== undefined) line += ` ${n.note}`;
    out.push(line);
    if (n.children !== undefined) renderTree(n.children, indent + 1, out);
  }
  return out;
}

/** Every value of every field in the tree, by field name (repeated fields keep their order). */
export function collectFieldValues(nodes: readonly FieldNode[], out = new Map<string, FieldValue[]>()): Map<string, FieldValue[]> {
  for (const n of nodes) {
    if (n.value !== undefined) {
      const list = out.get(n.field.name);
      if (list === undefined) out.set(n.field.name, [n.value]);
      else list.push(n.value);
    } else if (!out.has(n.field.name)) {
      // A subtree label with no value still marks its field as present (`corosync_totemsrp.orf_token`).
      out.set(n.field.name, [true]);
    }
    if (n.children !== undefined) collectFieldValues(n.children, out);
  }
  return out;
}
