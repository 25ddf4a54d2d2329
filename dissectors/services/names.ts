/** Service ids and names (CS3 include/corosync/corodefs.h; wire-format.md §5.1). */
export const ServiceId = {
  CMAP: 0,
  CFG: 1,
  CPG: 2,
  QUORUM: 3,
  PLOAD: 4,
  VOTEQUORUM: 5,
  MON: 6,
  WD: 7,
} as const;

export const SERVICE_NAMES: Readonly<Record<number, string>> = {
  0: 'cmap',
  1: 'cfg',
  2: 'cpg',
  3: 'quorum',
  4: 'pload',
  5: 'votequorum',
  6: 'mon',
  7: 'wd',
};

export function serviceName(id: number): string {
  return SERVICE_NAMES[id] ?? `service-${id}`;
}
