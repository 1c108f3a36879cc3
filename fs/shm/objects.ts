/**
 * The two shared-memory objects as the kind layer's FileObject, each pairing its pure state
 * (ipc/shm: PosixShm, SysvSegment) with its bytes (a MemoryFile), and their status texts.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { PosixShm } from '../../ipc/shm/posix.js';
import type { SysvSegment, SysvShmRegistry } from '../../ipc/shm/sysv.js';
import { hexKey, statusTime } from '../kinds/tokens.js';
import type { MemoryFile } from '../memory/memory-file.js';
import type { FsContext } from '../tree/node.js';
import type { ShmObject } from './shm-file.js';

const time = statusTime;
const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');
/** Control characters and backslashes in a name cannot end the line. */
const escaped = (s: string): string => s.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** shared-memory/named/<name>: shm_open's object. */
export class PosixShmObject implements ShmObject {
  readonly label: readonly [string, string];

  constructor(readonly shm: PosixShm, readonly memory: MemoryFile, private readonly gone: () => void) {
    this.label = ['name', shm.name];
  }

  get perm() {
    return this.shm.perm;
  }
  get removed(): boolean {
    return this.shm.isUnlinked;
  }
  get otime(): number {
    return this.memory.stat().mtimeMs;
  }
  get ctime(): number {
    return this.shm.ctimeMs;
  }
  set ctime(ms: number) {
    this.shm.ctimeMs = ms;
  }
  get watchers(): Set<() => void> {
    return this.shm.watchers;
  }

  /** shm_unlink: the name goes; open files and mappings keep the memory until their release. */
  remove(): void {
    if (this.shm.isUnlinked) return;
    this.shm.unlink();
    this.memory.remove();
    this.gone();
  }

  attach(): void {
    this.shm.opened();
  }

  detach(): void {
    this.shm.released();
  }

  /**
   * ftruncate: the pages are charged first (PosixShm: ENOSPC past a page limit, nothing changed),
   * then the memory takes the size; if the memory refuses (EFBIG), the charge goes back.
   */
  truncate(ctx: FsContext, size: number): void {
    const before = this.shm.size;
    this.shm.truncate(size);
    try {
      this.memory.truncate(ctx, size);
    } catch (err) {
      this.shm.truncate(before);
      throw err;
    }
  }

  status(): string {
    const { perm } = this.shm;
    const size = this.memory.size;
    return [
      `name: ${escaped(this.shm.name)}`,
      `owner: ${perm.uid}`,
      `perms: ${octal(perm.mode)}`,
      `size: ${size}`,
      `group: ${perm.gid}`,
      `cuid: ${perm.cuid}`,
      `cgid: ${perm.cgid}`,
      `opens: ${this.shm.handles}`,
      `unlinked: ${this.shm.isUnlinked ? 'yes' : 'no'}`,
      `served: ${this.memory.path ?? 'unopened'}`,
      `mtime: ${time(this.memory.stat().mtimeMs)}`,
      `ctime: ${time(this.shm.ctimeMs)}`,
    ].join('\n') + '\n';
  }
}

/** shared-memory/sysv/<shmid>: a segment; open = shmat (with mmap), RELEASE = shmdt. */
export class SysvShmObject implements ShmObject {
  readonly label: readonly [string, string];

  constructor(readonly seg: SysvSegment, readonly memory: MemoryFile, private readonly registry: SysvShmRegistry) {
    this.label = ['shmid', String(seg.id)];
  }

  get perm() {
    return this.seg.ds.perm;
  }
  get removed(): boolean {
    return this.seg.dest || this.seg.gone;
  }
  get otime(): number {
    return Math.max(this.seg.ds.atimeMs, this.seg.ds.dtimeMs, this.memory.stat().mtimeMs);
  }
  get ctime(): number {
    return this.seg.ds.ctimeMs;
  }
  set ctime(ms: number) {
    this.seg.ds.ctimeMs = ms;
  }
  get watchers(): Set<() => void> {
    return this.seg.watchers;
  }

  /** IPC_RMID (the directory checked owner, creator or root): SHM_DEST, destroyed at nattch 0. */
  remove(): void {
    this.registry.remove(this.seg);
  }

  /** shmat: EIDRM once destroyed; a `dest` segment may still be attached (Linux allows it by id). */
  attach(ctx: FsContext): void {
    this.registry.attach(this.seg, ctx.caller.tgid);
  }

  detach(pid: number): void {
    this.registry.detach(this.seg, pid);
  }

  /** A segment keeps shmget's size: truncate to it is a no-op, to anything else EPERM (sealed memfd). */
  truncate(ctx: FsContext, size: number): void {
    if (this.seg.gone) fail(Errno.EIDRM, `segment ${this.seg.id} was removed`);
    this.memory.truncate(ctx, size);
  }

  status(): string {
    const { ds } = this.seg;
    const p = ds.perm;
    return [
      `shmid: ${this.seg.id}`,
      `owner: ${p.uid}`,
      `perms: ${octal(p.mode)}`,
      `segsz: ${ds.segsz}`,
      `key: ${hexKey(this.seg.key)}`,
      `group: ${p.gid}`,
      `cuid: ${p.cuid}`,
      `cgid: ${p.cgid}`,
      `status: ${this.seg.dest ? 'dest' : '-'}`,
      `cpid: ${ds.cpid}`,
      `lpid: ${ds.lpid}`,
      `nattch: ${ds.nattch}`,
      `served: ${this.memory.path ?? 'unopened'}`,
      `atime: ${time(ds.atimeMs)}`,
      `dtime: ${time(ds.dtimeMs)}`,
      `ctime: ${time(ds.ctimeMs)}`,
    ].join('\n') + '\n';
  }
}
