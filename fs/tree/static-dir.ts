import { S_IFDIR } from '../fuse/abi.js';
import { allocIno, type DirNode, type FsNode, type Stat } from './node.js';

/**
 * A directory whose entries are set by the daemon (the fixed skeleton: semaphores/, sysv/, ...).
 * Objects kinds that let users create entries implement DirNode themselves.
 */
export class StaticDir implements DirNode {
  readonly kind = 'dir';
  readonly ino: number;
  private readonly children = new Map<string, FsNode>();
  private readonly created = Date.now();
  private changed = this.created;

  constructor(private readonly perms = 0o755, ino?: number, private readonly owner = { uid: 0, gid: 0 }) {
    this.ino = ino ?? allocIno();
  }

  add(name: string, node: FsNode): this {
    this.children.set(name, node);
    this.changed = Date.now();
    return this;
  }

  lookup(name: string): FsNode | undefined {
    return this.children.get(name);
  }

  entries(): Iterable<[string, FsNode]> {
    return this.children.entries();
  }

  stat(): Stat {
    let subdirs = 0;
    for (const child of this.children.values()) if (child.kind === 'dir') subdirs++;
    return {
      mode: S_IFDIR | this.perms,
      uid: this.owner.uid,
      gid: this.owner.gid,
      size: 0,
      nlink: 2 + subdirs,
      atimeMs: this.changed,
      mtimeMs: this.changed,
      ctimeMs: this.changed,
    };
  }
}
