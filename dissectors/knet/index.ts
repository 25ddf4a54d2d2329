/** kronosnet (knet) layer: wire formats, crypto, the stateful receive decoder, catalog and trees. */
export * from './header.ts';
export * from './data.ts';
export * from './ping.ts';
export * from './pmtud.ts';
export * from './packet.ts';
export * from './crypto.ts';
export * from './decoder.ts';
export * from './fields.ts';
export * from './tree.ts';
