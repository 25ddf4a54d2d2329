/**
 * The few corosync.conf values the analysis needs: effective token (token + (nodes − 2) ·
 * token_coefficient when the nodelist has more than 2 nodes), token_warning, hold, consensus,
 * node names and ring addresses (wire-format.md §6.9).
 *
 * A deliberately small reader used until src/config (the full parser with effective values) is
 * available; it understands the block syntax `name { key: value }` and `#` comments only.
 */

export interface AnalysisConfig {
  readonly tokenMs: number;
  readonly tokenWarningPercent: number;
  readonly holdMs?: number;
  readonly consensusMs?: number;
  readonly nodeNames: ReadonlyMap<number, string>;
  readonly nodeAddresses: ReadonlyMap<number, readonly string[]>;
}

interface Block {
  readonly name: string;
  readonly values: Map<string, string>;
  readonly children: Block[];
}

function parseBlocks(text: string): Block {
  const root: Block = { name: '', values: new Map(), children: [] };
  const stack: Block[] = [root];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const top = stack[stack.length - 1] ?? root;
    const open = /^([A-Za-z0-9_.-]+)\s*\{$/.exec(line);
    if (open !== null) {
      const b: Block = { name: open[1] ?? '', values: new Map(), children: [] };
      top.children.push(b);
      stack.push(b);
      continue;
    }
    if (line === '}') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line);
    if (kv !== null) top.values.set(kv[1] ?? '', (kv[2] ?? '').trim());
  }
  return root;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function analysisConfigFromConf(text: string): AnalysisConfig {
  const root = parseBlocks(text);
  const totem = root.children.find((b) => b.name === 'totem');
  const nodelist = root.children.find((b) => b.name === 'nodelist');
  const nodes = nodelist?.children.filter((b) => b.name === 'node') ?? [];
  const names = new Map<number, string>();
  const addresses = new Map<number, string[]>();
  for (const n of nodes) {
    const id = num(n.values.get('nodeid'));
    if (id === undefined) continue;
    const name = n.values.get('name');
    if (name !== undefined) names.set(id, name);
    const addrs: string[] = [];
    for (const [k, v] of n.values) if (/^ring\d+_addr$/.test(k)) addrs.push(v);
    addresses.set(id, addrs);
  }
  const base = num(totem?.values.get('token')) ?? 3000;
  const coefficient = num(totem?.values.get('token_coefficient')) ?? 650;
  const tokenMs = nodes.length > 2 ? base + (nodes.length - 2) * coefficient : base;
  const hold = num(totem?.values.get('hold'));
  const consensus = num(totem?.values.get('consensus'));
  return {
    tokenMs,
    tokenWarningPercent: num(totem?.values.get('token_warning')) ?? 75,
    ...(hold !== undefined ? { holdMs: hold } : {}),
    ...(consensus !== undefined ? { consensusMs: consensus } : {}),
    nodeNames: names,
    nodeAddresses: addresses,
  };
}
