/**
 * The kernel's side of the wire, for tests: request bytes as fs/fuse/dev.c would write them.
 * Independent of the decoders under test (plain Buffer writes, not ByteReader/ByteWriter).
 */
import { Opcode } from '../../fs/fuse/abi.js';

export interface Who {
  uid?: number;
  gid?: number;
  pid?: number;
}

export function request(opcode: number, unique: number, nodeid: number, body: Buffer, who: Who = {}): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32LE(40 + body.length, 0);
  h.writeUInt32LE(opcode, 4);
  h.writeBigUInt64LE(BigInt(unique), 8);
  h.writeBigUInt64LE(BigInt(nodeid), 16);
  h.writeUInt32LE(who.uid ?? 0, 24);
  h.writeUInt32LE(who.gid ?? 0, 28);
  h.writeUInt32LE(who.pid ?? 0, 32);
  return Buffer.concat([h, body]);
}

function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
}
function u64s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 8);
  v.forEach((x, i) => b.writeBigUInt64LE(BigInt(x), i * 8));
  return b;
}
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s), Buffer.alloc(1)]);

export const body = {
  init: (major: number, minor: number, flags: number, maxReadahead = 131072, flags2 = 0): Buffer =>
    Buffer.concat([u32s(major, minor, maxReadahead, flags, flags2), Buffer.alloc(44)]),
  name: (name: string): Buffer => cstr(name),
  forget: (nlookup: number): Buffer => u64s(nlookup),
  batchForget: (items: [number, number][]): Buffer => Buffer.concat([u32s(items.length, 0), ...items.map(([n, c]) => u64s(n, c))]),
  getattr: (): Buffer => Buffer.concat([u32s(0, 0), u64s(0)]),
  open: (flags: number): Buffer => u32s(flags, 0),
  read: (fh: number, offset: number, size: number, flags = 0): Buffer =>
    Buffer.concat([u64s(fh, offset), u32s(size, 0), u64s(0), u32s(flags, 0)]),
  write: (fh: number, data: Buffer, offset = 0): Buffer =>
    Buffer.concat([u64s(fh, offset), u32s(data.length, 0), u64s(0), u32s(0o100001, 0), data]),
  release: (fh: number): Buffer => Buffer.concat([u64s(fh), u32s(0o100001, 0), u64s(0)]),
  interrupt: (unique: number): Buffer => u64s(unique),
  create: (name: string, mode: number, flags: number): Buffer => Buffer.concat([u32s(flags, mode, 0o022, 0), cstr(name)]),
  rename: (newdir: number, from: string, to: string): Buffer => Buffer.concat([u64s(newdir), cstr(from), cstr(to)]),
  poll: (fh: number, kh: number, flags: number, events: number): Buffer => Buffer.concat([u64s(fh, kh), u32s(flags, events)]),
  ioctl: (fh: number, cmd: number): Buffer => Buffer.concat([u64s(fh), u32s(0, cmd), u64s(0), u32s(0, 0)]),
  getxattr: (name: string, size: number): Buffer => Buffer.concat([u32s(size, 0), cstr(name)]),
};

export { Opcode };
