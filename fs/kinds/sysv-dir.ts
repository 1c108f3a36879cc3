/**
 * A System V kind directory (semaphores/sysv, mqueue/sysv, shared-memory/sysv): objects by id from
 * the kind's registry, `by-key/0x0000162e -> ../<id>` for keyed ones, `.new` runs the kind's get
 * command (semget, msgget, shmget) and answers the id, rm is IPC_RMID (owner, creator or root).
 * The kind (SysvKind) says how to get an object and how to show one as a file; the rest is here.
 */
import { Errno, fail } from '../../ipc/errno.js';
import { checkOwner, type IpcPerm } from '../../ipc/semaphores/perms.js';
import { S_IFLNK } from '../fuse/abi.js';
import { allocIno, type DirNode, type FsContext, type FsNode, type Stat, type SymlinkNode } from '../tree/node.js';
import { CreateFile } from './clone-file.js';
import { CLONE_FILE, KIND_DIR_MODE, dirStat, refuseCloneFile, type KindObjectFile } from './kind-dir.js';
import { IPC_PRIVATE_KEY, hexKey } from './tokens.js';

/** What the directory needs of a registry entry. */
export interface SysvEntry {
  readonly id: number;
  readonly key: number;
}

export interface SysvKind<T extends SysvEntry, F extends KindObjectFile> {
  /** the `.new` command's usage: 'semget KEY NSEMS [mode=OCTAL] [creat] [excl] ...' */
  readonly getUsage: string;
  get(id: number): T | undefined;
  lookupKey(key: number): T | undefined;
  /** every object, lazily and live (a Map's values) */
  values(): Iterable<T>;
  /** the `.new` command (its words): gets or creates an object, answers its id */
  getCommand(ctx: FsContext, words: string[]): number;
  /** t as a file, made once per object and kept until removed; its remove() must call gone() once */
  fileOf(t: T, gone: () => void): F;
  /** when t's key link was made (its ctime) */
  linkTime(t: T): number;
  /** t's permission (its key link shows the owner) */
  permOf(t: T): IpcPerm;
}

class KeyLink implements SymlinkNode {
  readonly kind = 'symlink';
  readonly ino = allocIno();
  constructor(readonly target: string, private readonly perm: IpcPerm, private readonly time: number) {}
  stat(): Stat {
    return { mode: S_IFLNK | 0o777, uid: this.perm.uid, gid: this.perm.gid, size: this.target.length, nlink: 1, atimeMs: this.time, mtimeMs: this.time, ctimeMs: this.time };
  }
}

/** by-key/: one symlink per keyed object, hexKey -> ../id. */
class ByKeyDir<T extends SysvEntry> implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly links = new Map<T, KeyLink>();
  constructor(private readonly policy: SysvKind<T, KindObjectFile>) {}

  stat(): Stat {
    return dirStat({ uid: 0, gid: 0, mode: 0o755 }, Date.now(), 0);
  }

  private link(t: T): KeyLink {
    let l = this.links.get(t);
    if (!l) {
      l = new KeyLink(`../${t.id}`, this.policy.permOf(t), this.policy.linkTime(t));
      this.links.set(t, l);
    }
    return l;
  }

  lookup(name: string): FsNode | undefined {
    if (!/^0x[0-9a-f]{8}$/.test(name)) return undefined;
    const t = this.policy.lookupKey(parseInt(name, 16) | 0);
    return t ? this.link(t) : undefined;
  }

  /** The object is gone: its link goes with it. */
  forget(t: T): void {
    this.links.delete(t);
  }

  /** Lazy and live over the registry (see DirNode.entries). */
  *entries(): IterableIterator<[string, FsNode]> {
    for (const t of this.policy.values()) if (t.key !== IPC_PRIVATE_KEY) yield [hexKey(t.key), this.link(t)];
  }
}

export class SysvKindDir<T extends SysvEntry, F extends KindObjectFile> implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  private readonly files = new Map<T, F>();
  private readonly byKey: ByKeyDir<T>;
  private readonly perm = { uid: 0, gid: 0, mode: KIND_DIR_MODE };
  private readonly createFile: CreateFile;

  constructor(private readonly policy: SysvKind<T, F>) {
    this.byKey = new ByKeyDir(policy);
    this.createFile = new CreateFile(policy.getUsage, (ctx, ws) => String(policy.getCommand(ctx, ws)));
  }

  stat(): Stat {
    return dirStat(this.perm, Date.now(), 1);
  }

  private file(t: T): F {
    let f = this.files.get(t);
    if (!f) {
      f = this.policy.fileOf(t, () => {
        this.files.delete(t);
        this.byKey.forget(t);
      });
      this.files.set(t, f);
    }
    return f;
  }

  lookup(name: string): FsNode | undefined {
    if (name === CLONE_FILE) return this.createFile;
    if (name === 'by-key') return this.byKey;
    if (!/^\d+$/.test(name)) return undefined;
    const t = this.policy.get(Number(name));
    return t ? this.file(t) : undefined;
  }

  /** Lazy and live over the registry (see DirNode.entries). */
  *entries(): IterableIterator<[string, FsNode]> {
    yield ['by-key', this.byKey];
    for (const t of this.policy.values()) yield [String(t.id), this.file(t)];
  }

  /** IPC_RMID by rm: owner, creator or root. */
  unlink(ctx: FsContext, name: string): void {
    refuseCloneFile(name);
    if (name === 'by-key') fail(Errno.EISDIR);
    const t = /^\d+$/.test(name) ? this.policy.get(Number(name)) : undefined;
    if (!t) fail(Errno.ENOENT);
    const f = this.file(t);
    checkOwner(f.obj.perm, ctx.caller, 'IPC_RMID');
    f.obj.remove();
  }
}
