/** The Totem SRP engine (corosync 3.1.7 behaviour), pure: see engine.ts. */
export { TotemEngine, RETRANSMIT_ENTRIES_MAX, type TimerName } from './engine.ts';
export { ListenOnlyObserver, type ObservedRing } from './listenOnly.ts';
export { sqLt, sqLte } from './seq.ts';
export { SortQueue, SORT_QUEUE_SIZE } from './sortQueue.ts';
export { encodeInnerMcast, decodeInnerMcast, MCAST_HEADER_LEN } from './encapsulation.ts';
export * from './types.ts';
