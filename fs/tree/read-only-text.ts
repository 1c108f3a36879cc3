/**
 * A read-only text file (0444, owned by root) whose text is rendered for each reader: limits/* and
 * sysvipc/*. Each open makes a StreamedText (tree/text-file.ts) that renders the text at its first
 * read, so a reader sees the state at the time it reads, never a cached copy.
 *
 * OPEN for writing is EACCES even for root: root passes the kernel's mode check under
 * default_permissions, so the refusal has to be the daemon's (as /proc/sys's read-only files
 * refuse root). A write on a read-only handle cannot arrive (the kernel answers EBADF itself).
 */
import { constants } from 'node:fs';
import { Errno, fail } from '../../ipc/errno.js';
import { S_IFREG } from '../fuse/abi.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from './node.js';
import { StreamedText, type TextSource } from './text-file.js';

export class ReadOnlyTextFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly born = Date.now();

  /** source: the reader's text as pieces; refusal: the log line of a refused writer */
  constructor(private readonly source: (ctx: FsContext) => TextSource, private readonly refusal: string) {}

  stat(): Stat {
    return { mode: S_IFREG | 0o444, uid: 0, gid: 0, size: 0, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  open(ctx: FsContext, flags: number): FileHandle {
    if ((flags & 3) !== constants.O_RDONLY) fail(Errno.EACCES, this.refusal);
    const text = new StreamedText(this.source(ctx));
    return {
      mode: { directIo: true, stream: true, nonSeekable: true },
      read: (_ctx, _offset, size) => text.read(size),
      write: () => fail(Errno.EBADF),
      release: () => {},
    };
  }
}
