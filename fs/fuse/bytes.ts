import { DecodeError } from './errno.js';

const TWO32 = 2 ** 32;

/**
 * Little-endian, bounds-checked reads over one request body. Every read that would pass the end
 * throws DecodeError, so a short or malformed request becomes EIO and never a crash.
 */
export class ByteReader {
  private offset: number;
  /** start: where the reads begin (the session reads a body after the header without a copy) */
  constructor(private readonly buf: Buffer, start = 0) {
    this.offset = start;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): number {
    if (this.remaining < n) {
      throw new DecodeError(`short request: ${what} needs ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u16(what = 'u16'): number {
    return this.buf.readUInt16LE(this.need(2, what));
  }
  u32(what = 'u32'): number {
    return this.buf.readUInt32LE(this.need(4, what));
  }
  i32(what = 'i32'): number {
    return this.buf.readInt32LE(this.need(4, what));
  }
  /** A u64 that must fit a JS number (node ids, handles, offsets, sizes). */
  u64(what = 'u64'): number {
    const at = this.need(8, what);
    const lo = this.buf.readUInt32LE(at);
    const hi = this.buf.readUInt32LE(at + 4);
    if (hi >= 0x200000) throw new DecodeError(`${what} does not fit 53 bits`);
    return hi * TWO32 + lo;
  }
  /** A u64 kept whole (lock owners, raw ioctl arguments). */
  u64big(what = 'u64'): bigint {
    return this.buf.readBigUInt64LE(this.need(8, what));
  }
  skip(n: number, what = 'padding'): void {
    this.need(n, what);
  }
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }
  /** The bytes of a NUL-terminated string, without the NUL (file names are bytes on Linux). */
  cbytes(what = 'name'): Buffer {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new DecodeError(`${what} is not NUL-terminated`);
    const b = this.buf.subarray(this.offset, end);
    this.offset = end + 1;
    return b;
  }
  /** A NUL-terminated name (LOOKUP, MKNOD, ...). Names are bytes on Linux; we require UTF-8-free of NUL. */
  cstring(what = 'name'): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new DecodeError(`${what} is not NUL-terminated`);
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }
}

/** Little-endian writes into a buffer of known size; used by the reply encoders. */
export class ByteWriter {
  readonly buf: Buffer;
  private offset = 0;
  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }
  get length(): number {
    return this.offset;
  }
  u16(v: number): this {
    this.offset = this.buf.writeUInt16LE(v, this.offset);
    return this;
  }
  u32(v: number): this {
    this.offset = this.buf.writeUInt32LE(v >>> 0, this.offset);
    return this;
  }
  i32(v: number): this {
    this.offset = this.buf.writeInt32LE(v, this.offset);
    return this;
  }
  u64(v: number | bigint): this {
    if (typeof v === 'bigint') {
      this.offset = this.buf.writeBigUInt64LE(v, this.offset);
      return this;
    }
    // Two u32 writes: a BigInt per field would be the costliest part of a reply.
    this.offset = this.buf.writeUInt32LE(v % TWO32, this.offset);
    this.offset = this.buf.writeUInt32LE(Math.floor(v / TWO32), this.offset);
    return this;
  }
  i64(v: number | bigint): this {
    this.offset = this.buf.writeBigInt64LE(BigInt(v), this.offset);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }
  zero(n: number): this {
    this.offset += n; // Buffer.alloc already zeroed it
    return this;
  }
  done(): Buffer {
    return this.offset === this.buf.length ? this.buf : this.buf.subarray(0, this.offset);
  }
}
