/** totempg: the packing layer inside MCAST payloads (wire-format.md §4). */
export * from './fields.ts';
export * from './packet.ts';
export * from './group.ts';
export * from './reassembly.ts';
