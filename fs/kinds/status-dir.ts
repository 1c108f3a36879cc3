/**
 * A status/ directory: a read-only mirror of a kind directory in which each object's file is its
 * status text, for the kinds whose object file is not a command stream and so cannot show the
 * status when read: shared memory (the file is the memory: shared-memory/status/sysv/<shmid>,
 * docs/protocol.md, Shared memory, why not an extended attribute) and jobserver pools (reading
 * the file takes a token: jobserver/status/<name>). The mirror keeps no list of its own: it looks
 * names up in the kind directory on every request, so it follows it live.
 */
import { Errno, fail } from '../../ipc/errno.js';
import { S_IFDIR, S_IFREG } from '../fuse/abi.js';
import { CLONE_FILE } from './kind-dir.js';
import { MAY_WRITE } from '../tree/access.js';
import { allocIno, type DirNode, type FileHandle, type FileNode, type FsContext, type FsNode, type Stat } from '../tree/node.js';
import { StreamedText, wholeText } from '../tree/text-file.js';

/** An object file whose status the mirror shows. */
export interface StatusSource extends FileNode {
  permits(who: { uid: number; gid: number; groups?: readonly number[] | null }, mask: number): boolean;
  /** the status text, rendered when a status file is opened */
  statusText(): string;
}

/** The kind's object files among a kind directory's nodes; anything else is not mirrored. */
export type IsStatusSource = (node: FsNode) => node is StatusSource;

/** Names of a kind directory that are not objects: the clone file, System V's by-key/. */
const NOT_OBJECTS = new Set([CLONE_FILE, 'by-key']);

/** An object's status: mode r--r--r-- of the object's read bits; reading it is ipcperms read. */
class StatusFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();

  constructor(private readonly file: StatusSource) {}

  stat(): Stat {
    const s = this.file.stat();
    return { ...s, mode: S_IFREG | (s.mode & 0o444), size: 0 };
  }

  permits(who: { uid: number; gid: number; groups?: readonly number[] | null }, mask: number): boolean {
    return !(mask & MAY_WRITE) && this.file.permits(who, mask);
  }

  open(_ctx: FsContext, flags: number): FileHandle {
    // root passes the mode check: refuse writers here too
    if ((flags & 3) !== 0) fail(Errno.EACCES, 'a status file is read-only');
    const text = new StreamedText(wholeText(() => this.file.statusText()));
    return {
      mode: { directIo: true, stream: true, nonSeekable: true },
      read: (_c, _offset, size) => text.read(size),
      write: () => fail(Errno.EBADF),
      release: () => {},
    };
  }
}

export class StatusDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  /** one mirror node per source node, kept as long as the source is (stable st_ino) */
  private readonly mirrors = new WeakMap<FsNode, FsNode>();

  constructor(private readonly source: DirNode, private readonly isSource: IsStatusSource) {}

  /** The source directory's owner and read/search bits: listing status/ shows what listing it would. */
  stat(): Stat {
    const s = this.source.stat();
    return { ...s, mode: S_IFDIR | (s.mode & 0o555) };
  }

  private mirror(node: FsNode): FsNode | undefined {
    let m = this.mirrors.get(node);
    if (!m) {
      if (node.kind === 'dir') m = new StatusDir(node, this.isSource);
      else if (this.isSource(node)) m = new StatusFile(node);
      else return undefined;
      this.mirrors.set(node, m);
    }
    return m;
  }

  lookup(name: string): FsNode | undefined {
    if (NOT_OBJECTS.has(name)) return undefined;
    const node = this.source.lookup(name);
    return node && this.mirror(node);
  }

  *entries(): IterableIterator<[string, FsNode]> {
    for (const [name, node] of this.source.entries()) {
      if (NOT_OBJECTS.has(name)) continue;
      const m = this.mirror(node);
      if (m) yield [name, m];
    }
  }
}
