/**
 * Status texts generated on read, piece by piece, for stream files (command-file.ts): every READ
 * arrives with offset 0, so the open handle keeps its own cursor.
 *
 * A text is an iterator of short pieces (a line, or one word of a long line). Each READ resumes it
 * where the last one stopped and pulls pieces until the read is full, so the work and memory of a
 * read are bounded by the bytes it returns (plus what a source computes once per read, see
 * ReadScope), whatever the size of the whole text: a 32000-semaphore set's status is never built
 * whole, and a handle keeps only its iterator and the unread rest of one piece.
 *
 * Cursor rules: the first read, and the first read after a write on the handle (invalidate), start
 * the text afresh; once the text has ended, every read returns end of file until the next write,
 * as at the end of a regular file. So `cat` reads the text once, a program that writes a command
 * and then reads gets the answer from its start, and a reader that reads until end of file stops
 * there: Python's buffered `f.read(n)` loop reads once more after the short read that ended the
 * text, and a text that restarted after end of file would make it read for ever. To read the
 * status again, open the file again (a stream cannot seek back). Each read shows the object as it
 * is at that read; a text longer than one read may show a change that happened between two reads.
 */

/** The most bytes one READ returns (a shorter read is not end of file: readers read on). */
export const MAX_READ_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** Values a text source computes once per READ and drops after it (e.g. one pass over a queue). */
export class ReadScope {
  private readonly memo = new Map<string, unknown>();

  once<T>(key: string, compute: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = compute();
    this.memo.set(key, v);
    return v;
  }

  end(): void {
    this.memo.clear();
  }
}

/** Starts a text: an iterator of its pieces, in order, each short (a line or less). */
export type TextSource = (scope: ReadScope) => Iterator<string, unknown, undefined>;

export class StreamedText {
  private pieces: Iterator<string, unknown, undefined> | null = null;
  /** the part of the last piece that did not fit the last read */
  private carry: Buffer | null = null;
  /** the text reached its end: reads return end of file until a write (invalidate) */
  private ended = false;
  private readonly scope = new ReadScope();

  constructor(private readonly source: TextSource) {}

  read(size: number): Buffer {
    if (size <= 0) return EMPTY;
    if (this.ended) return EMPTY;
    const limit = Math.min(size, MAX_READ_BYTES);
    const pieces = (this.pieces ??= this.source(this.scope));
    const parts: string[] = [];
    let head: Buffer = EMPTY;
    let bytes = 0;
    let tail: Buffer = EMPTY;
    try {
      if (this.carry) {
        head = this.carry.subarray(0, limit);
        this.carry = this.carry.length > limit ? this.carry.subarray(limit) : null;
        bytes = head.length;
      }
      while (bytes < limit && !this.carry) {
        const next = pieces.next();
        if (next.done) {
          this.ended = true;
          this.pieces = null; // nothing more to pull: let the iterator go
          break;
        }
        const piece = next.value;
        const len = Buffer.byteLength(piece);
        if (bytes + len <= limit) {
          parts.push(piece);
          bytes += len;
        } else {
          const b = Buffer.from(piece);
          tail = b.subarray(0, limit - bytes);
          this.carry = b.subarray(limit - bytes);
          bytes = limit;
        }
      }
    } finally {
      this.scope.end();
    }
    if (bytes === 0) return EMPTY;
    return Buffer.concat([head, Buffer.from(parts.join('')), tail]);
  }

  /** The next read starts the text afresh (after a write changed what it shows). */
  invalidate(): void {
    this.pieces = null;
    this.carry = null;
    this.ended = false;
  }
}

/** A text of one piece, made at its first read (small answers such as `.new`'s). */
export function wholeText(render: () => string): TextSource {
  return function* () {
    yield render();
  };
}

/**
 * A value printed in a status line, escaped so that it cannot end the line or fake a field:
 * printable ASCII but backslash and space as is, \n \t \\ by name, every other byte as \xNN.
 * Input is a byte string (latin1: one char per byte).
 */
export function escapeWord(bytes: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c > 0x20 && c < 0x7f && c !== 0x5c) out += bytes[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else out += `\\x${(c & 0xff).toString(16).padStart(2, '0')}`;
  }
  return out;
}
