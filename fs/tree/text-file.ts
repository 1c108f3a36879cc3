/** Helpers for files whose content is a status text generated on read. */

/**
 * Serves a generated text to successive reads of one open file. A read at offset 0, or the first
 * read after a write, takes a fresh snapshot; later reads continue that snapshot from where the
 * last one stopped, so `cat` never sees two states torn together, and a program that writes a
 * command and then reads on the same descriptor (at the offset its write left) reads the answer
 * from its start.
 */
export class StatusText {
  private snapshot: Buffer = Buffer.alloc(0);
  private cursor = 0;
  private stale = true;
  constructor(private readonly render: () => string) {}

  read(offset: number, size: number): Buffer {
    if (offset === 0 || this.stale) {
      this.snapshot = Buffer.from(this.render(), 'utf8');
      this.cursor = 0;
      this.stale = false;
    }
    const out = this.snapshot.subarray(this.cursor, this.cursor + size);
    this.cursor += out.length;
    return out;
  }

  /** The next read takes a fresh snapshot (call after a write changed what it shows). */
  invalidate(): void {
    this.stale = true;
  }
}
