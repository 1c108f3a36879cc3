/**
 * Test-only files, mounted under /.ipcfs-test when the daemon runs with --test-files. They exercise
 * the FUSE layer before any IPC object exists: a request that blocks until interrupted, and a sink
 * for the round-trip benchmark.
 *
 * block: a write starting with "block" waits until the writer is interrupted (EINTR, or death on
 *        SIGKILL) or until someone writes "release"; any other write returns at once. A read
 *        never blocks and shows how many writers wait.
 *
 * shm-passthrough/, shm-cached/, shm-auto/: the shared-memory prototype (fs/memory/memory-file.ts)
 *        before the shared-memory/ kind exists. open(O_CREAT) makes an empty object whose content
 *        is memory, served by FUSE passthrough, by the page cache, or by passthrough when the
 *        daemon may (auto); rm removes the name (open users keep working). At most
 *        TEST_SHM_OBJECTS objects of TEST_SHM_MAX_SIZE bytes each. A name `sysv-SIZE` makes a
 *        fixed-size object as a System V segment will be (sealed: EPERM for any size change).
 * shm-stats: one line per prototype object: dir/name, path served, size, open handles, and the
 *        READs, WRITEs and truncates that reached the daemon.
 */
import { S_IFDIR, S_IFREG } from './fuse/abi.js';
import { NO_BACKING_FILES, type BackingFiles } from './fuse/backing.js';
import { Errno, fail } from './fuse/errno.js';
import { MemoryFile, type MemoryPathChoice } from './memory/memory-file.js';
import { StaticDir } from './tree/static-dir.js';
import { allocIno, type DirNode, type FileHandle, type FileNode, type FsContext, type FsNode, type Stat } from './tree/node.js';
import { StreamedText, wholeText } from './tree/text-file.js';
import { abortableWait } from './tree/wait.js';
import { SEM_OPEN_MODE } from './semaphores/sem-file.js';
import { COMMAND_FILE_SIZE } from './tree/command-file.js';

class BlockFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly waiters = new Set<(n: number) => void>();
  private readonly born = Date.now();
  released = 0;
  interrupted = 0;

  stat(): Stat {
    return { mode: S_IFREG | 0o666, uid: 0, gid: 0, size: COMMAND_FILE_SIZE, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  status(): string {
    return `blocked: ${this.waiters.size}\nreleased: ${this.released}\ninterrupted: ${this.interrupted}\n`;
  }

  open(): FileHandle {
    const text = new StreamedText(wholeText(() => this.status()));
    return {
      // Opened as the semaphore files are: the benchmark's sink stands for them.
      mode: SEM_OPEN_MODE,
      read: (_ctx, _offset, size) => text.read(size),
      write: (ctx, data) => this.write(ctx, data),
      release: () => {},
    };
  }

  /** Synchronous unless it blocks: the benchmark's sink answers in the same tick. */
  private write(ctx: FsContext, data: Buffer): number | Promise<number> {
    const cmd = data.toString('latin1').trim();
    if (cmd === 'release') {
      for (const w of [...this.waiters]) w(0);
      return data.length;
    }
    if (!cmd.startsWith('block')) return data.length;
    return this.block(ctx, data);
  }

  private async block(ctx: FsContext, data: Buffer): Promise<number> {
    try {
      await abortableWait<number>(ctx.signal, (done) => {
        const w = (n: number): void => {
          this.released++;
          done(n);
        };
        this.waiters.add(w);
        return () => this.waiters.delete(w);
      });
    } catch (err) {
      this.interrupted++;
      throw err;
    }
    return data.length;
  }
}

export const TEST_SHM_OBJECTS = 16;
export const TEST_SHM_MAX_SIZE = 256 * 1024 * 1024;

/** A directory of prototype shared-memory objects, all served one way. */
class MemoryTestDir implements DirNode {
  readonly kind = 'dir';
  readonly ino = allocIno();
  readonly objects = new Map<string, MemoryFile>();
  private readonly born = Date.now();

  constructor(private readonly choice: MemoryPathChoice, private readonly backing: BackingFiles) {}

  stat(): Stat {
    return { mode: S_IFDIR | 0o1777, uid: 0, gid: 0, size: 0, nlink: 2, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  lookup(name: string): FsNode | undefined {
    return this.objects.get(name);
  }

  entries(): Iterable<[string, FsNode]> {
    return this.objects.entries();
  }

  create(ctx: FsContext, name: string, mode: number): FsNode {
    if (this.objects.size >= TEST_SHM_OBJECTS) fail(Errno.ENOSPC, `at most ${TEST_SHM_OBJECTS} test objects`);
    const fixed = /^sysv-(\d{1,9})$/.exec(name);
    const fixedSize = fixed ? Number(fixed[1]) : undefined;
    if (fixedSize !== undefined && fixedSize > TEST_SHM_MAX_SIZE) fail(Errno.EINVAL, 'too large');
    const f = new MemoryFile({
      name: `ipcfs-test:${name}`, backing: this.backing, path: this.choice, mode,
      uid: ctx.caller.uid, gid: ctx.caller.gid, maxSize: TEST_SHM_MAX_SIZE, fixedSize,
    });
    this.objects.set(name, f);
    return f;
  }

  unlink(_ctx: FsContext, name: string): void {
    const f = this.objects.get(name);
    if (!f) fail(Errno.ENOENT);
    this.objects.delete(name);
    f.remove();
  }
}

class MemoryStatsFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly born = Date.now();

  constructor(private readonly dirs: [string, MemoryTestDir][]) {}

  stat(): Stat {
    return { mode: S_IFREG | 0o444, uid: 0, gid: 0, size: COMMAND_FILE_SIZE, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  status(): string {
    let out = '';
    for (const [dirName, dir] of this.dirs) {
      for (const [name, f] of dir.objects) {
        const c = f.counters;
        out += `${dirName}/${name} path=${f.path ?? 'unopened'} size=${f.size} handles=${f.handles} reads=${c.reads} writes=${c.writes} truncates=${c.truncates}\n`;
      }
    }
    return out;
  }

  open(): FileHandle {
    const text = new StreamedText(wholeText(() => this.status()));
    return { mode: SEM_OPEN_MODE, read: (_ctx, _offset, size) => text.read(size), write: () => fail(Errno.EBADF), release: () => {} };
  }
}

export function testFilesDir(backing: BackingFiles = NO_BACKING_FILES): StaticDir {
  const shm: [string, MemoryTestDir][] = [
    ['shm-passthrough', new MemoryTestDir('passthrough', backing)],
    ['shm-cached', new MemoryTestDir('cached', backing)],
    ['shm-auto', new MemoryTestDir('auto', backing)],
  ];
  const dir = new StaticDir(0o755).add('block', new BlockFile());
  for (const [name, d] of shm) dir.add(name, d);
  return dir.add('shm-stats', new MemoryStatsFile(shm));
}
