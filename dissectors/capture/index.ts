export * from './errors.ts';
export * from './reader.ts';
export { splitTimestamp, splitTimestampBig, tsOut, tsResolution, type TsResolution } from './timestamp.ts';
