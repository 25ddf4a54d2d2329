/**
 * The registry of every catalog field, from every layer: what `-Y` filters may name, what
 * `totemscope fields` lists, and where JSON keys and metric labels come from.
 */
import type { FieldDef } from '../dissectors/catalog.ts';
import { ETH_FIELDS, FRAME_FIELDS, IPV4_FIELDS, IPV6_FIELDS, LINK_FIELDS, NULL_FIELDS, SLL_FIELDS, UDP_FIELDS, VLAN_FIELDS } from '../dissectors/net.ts';
import { KNET_FIELDS } from '../dissectors/knet/fields.ts';
import { CFG_FIELDS, CMAP_FIELDS, CPG_FIELDS, PLOAD_FIELDS, SERVICE_FIELDS, SYNC_FIELDS, VOTEQUORUM_FIELDS } from '../dissectors/services/fields.ts';
import { TOTEMPG_FIELDS } from '../dissectors/totempg/fields.ts';
import { TOTEMSRP_FIELDS } from '../dissectors/totemsrp/index.ts';
import { ERROR_FIELDS, PIPELINE_FIELDS } from './decode/fields.ts';

type FieldGroup = Readonly<Record<string, FieldDef>> | readonly FieldDef[];

const GROUPS: readonly FieldGroup[] = [
  FRAME_FIELDS,
  ETH_FIELDS,
  VLAN_FIELDS,
  SLL_FIELDS,
  NULL_FIELDS,
  LINK_FIELDS,
  IPV4_FIELDS,
  IPV6_FIELDS,
  UDP_FIELDS,
  PIPELINE_FIELDS,
  ERROR_FIELDS,
  TOTEMSRP_FIELDS,
  KNET_FIELDS,
  TOTEMPG_FIELDS,
  SERVICE_FIELDS,
  CPG_FIELDS,
  VOTEQUORUM_FIELDS,
  SYNC_FIELDS,
  CMAP_FIELDS,
  CFG_FIELDS,
  PLOAD_FIELDS,
];

function build(): Map<string, FieldDef> {
  const m = new Map<string, FieldDef>();
  for (const g of GROUPS) {
    const defs: readonly FieldDef[] = Array.isArray(g) ? g : Object.values(g);
    for (const d of defs) if (!m.has(d.name)) m.set(d.name, d);
  }
  return m;
}

export const FIELD_REGISTRY: ReadonlyMap<string, FieldDef> = build();

export function isKnownField(name: string): boolean {
  return FIELD_REGISTRY.has(name);
}
