/**
 * Buffered line output with back-pressure, that ends quietly when the reader goes away
 * (`totemscope read f.pcap | head`).
 */
import type { Writable } from 'node:stream';

export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  private closed = false;

  constructor(
    private readonly out: Writable,
    private readonly flushAt = 1 << 16,
  ) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else throw e;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  line(s: string): void {
    if (this.closed) return;
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= this.flushAt) this.flushSync();
  }

  /** Hands the buffered text to the stream; returns false when the stream asks us to wait. */
  flushSync(): boolean {
    if (this.buf.length === 0 || this.closed) return true;
    const text = `${this.buf.join('\n')}\n`;
    this.buf = [];
    this.size = 0;
    return this.out.write(text);
  }

  async flush(): Promise<void> {
    if (!this.flushSync() && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.out.off('drain', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.once('drain', done);
        this.out.once('close', done);
      });
    }
  }
}
