/** Helpers for files whose content is a status text generated on read. */

/**
 * Serves a status text to successive reads of one open file: a read at offset 0 takes a fresh
 * snapshot, later offsets read on from that snapshot, so `cat` never sees two states torn together.
 */
export class StatusText {
  private snapshot: Buffer = Buffer.alloc(0);
  constructor(private readonly render: () => string) {}

  read(offset: number, size: number): Buffer {
    if (offset === 0) this.snapshot = Buffer.from(this.render(), 'utf8');
    return this.snapshot.subarray(offset, offset + size);
  }
}
