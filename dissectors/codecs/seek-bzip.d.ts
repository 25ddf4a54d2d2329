// Minimal typings for seek-bzip 2.0.0 (CommonJS, no bundled types): only what codecs/bzip2.ts uses.
declare module 'seek-bzip' {
  interface ByteSink {
    writeByte(byte: number): void;
  }
  interface SeekBzip {
    decode(input: Buffer, output: ByteSink, multistream?: boolean): void;
  }
  const Bunzip: SeekBzip;
  export default Bunzip;
}
