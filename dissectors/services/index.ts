/**
 * The service layer (wire-format.md §5): dispatch of a packed totempg message's body by group and
 * service id, trees and one-line summaries. Group "a" carries corosync service messages
 * (id = service << 16 | fn); group "sync" carries the sync engine's messages (raw fn id).
 */
export * from './types.ts';
export * from './fields.ts';
export * from './names.ts';
export * from './header.ts';
export * from './cpg.ts';
export * from './votequorum.ts';
export * from './sync.ts';
export * from './cmap.ts';
export * from './cfg.ts';
export * from './pload.ts';
export { totempgPayloadTree, totempgPayloadSummary, packedMessageTree } from './payload.ts';
export * from './dispatch.ts';
