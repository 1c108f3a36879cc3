/**
 * Open directories by fh. A stream takes O(1) memory whatever the directory's size. READDIR
 * offsets: 1 after ".", 2 after "..", k + 2 after the k-th entry. The stream keeps the directory's
 * live iterator positioned at `pos`: a READDIR at that offset continues it (each entry costs O(1),
 * so a whole listing is linear), any other offset (a seekdir, a rewind) restarts it and skips. A
 * live Map iterator sees removals and appends, so an entry present for the whole listing is
 * listed once.
 */
import type { Logger } from 'pino';
import type { Charge } from '../../ipc/quota.js';
import { S_IFDIR, S_IFLNK, S_IFREG, direntType } from '../fuse/abi.js';
import { Errno, fail } from '../fuse/errno.js';
import { DirentList } from '../fuse/replies.js';
import type { DirNode, FsNode } from '../tree/node.js';

interface DirStream {
  readonly dir: DirNode;
  /** the offset the next entry gets as its predecessor's cookie; -1 = no iterator yet */
  pos: number;
  iter: Iterator<[string, FsNode]> | null;
  /** taken from iter but did not fit in the last reply: the first of the next one */
  pending: [string, FsNode] | null;
  /** one open directory of the opener's quota, given back once at release */
  readonly charge: Charge;
}

const DIR_TYPE = direntType(S_IFDIR);
const typeOf = (n: FsNode): number => direntType(n.kind === 'dir' ? S_IFDIR : n.kind === 'symlink' ? S_IFLNK : S_IFREG);

export class DirStreams {
  private readonly streams = new Map<number, DirStream>();

  /** nextFh: fh numbers (shared with open files, so an fh names one thing in the logs). */
  constructor(private readonly nextFh: () => number) {}

  get size(): number {
    return this.streams.size;
  }

  /** A stream over dir at its start; from now on it holds charge. Returns its fh. */
  open(dir: DirNode, charge: Charge): number {
    const fh = this.nextFh();
    this.streams.set(fh, { dir, pos: -1, iter: null, pending: null, charge });
    return fh;
  }

  /**
   * Whole fuse_dirent records that fit in size, from offset; an empty buffer at the end. EBADF
   * for an unknown fh.
   */
  read(fh: number, offset: number, size: number, log: Logger): Buffer {
    const d = this.streams.get(fh);
    if (!d) fail(Errno.EBADF);
    const list = new DirentList(size);
    if (offset !== d.pos || !d.iter) {
      if (offset > 0) log.debug({ offset, pos: d.pos }, 'readdir: seek (restarts the directory\'s iterator)');
      seek(d, offset);
    }
    const ino = d.dir.ino;
    // '..': the kernel fills in the parent itself; its ino is not used
    if (d.pos === 0 && list.add(ino, 1, DIR_TYPE, '.')) d.pos = 1;
    if (d.pos === 1 && list.add(ino, 2, DIR_TYPE, '..')) d.pos = 2;
    if (d.pos < 2) return list.done();
    for (;;) {
      let e = d.pending;
      d.pending = null;
      // taken earlier and removed since: not listed (it was not there for the whole listing)
      if (e && d.dir.lookup(e[0]) !== e[1]) e = null;
      if (!e) {
        const next = d.iter!.next();
        if (next.done) break;
        e = next.value;
      }
      if (!list.add(e[1].ino, d.pos + 1, typeOf(e[1]), e[0])) {
        d.pending = e;
        break;
      }
      d.pos++;
    }
    return list.done();
  }

  /** The stream fh is closed: its charge goes back. An unknown fh does nothing. */
  release(fh: number): void {
    const d = this.streams.get(fh);
    if (!d) return;
    this.streams.delete(fh);
    d.charge.release();
  }

  /** The session ended: every stream is released. */
  releaseAll(): void {
    for (const fh of this.streams.keys()) this.release(fh);
  }
}

/** A fresh iterator at offset: skips offset - 2 entries (a seek costs what it skips). */
function seek(d: DirStream, offset: number): void {
  d.iter = d.dir.entries()[Symbol.iterator]();
  d.pending = null;
  d.pos = Math.min(offset, 2);
  while (d.pos < offset && !d.iter.next().done) d.pos++;
}
