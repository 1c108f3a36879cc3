/**
 * Test-only files, mounted under /.ipcfs-test when the daemon runs with --test-files. They exercise
 * the FUSE layer before any IPC object exists: a request that blocks until interrupted, and a sink
 * for the round-trip benchmark.
 *
 * block: a write starting with "block" waits until the writer is interrupted (EINTR, or death on
 *        SIGKILL) or until someone writes "release"; any other write returns at once. A read
 *        never blocks and shows how many writers wait.
 */
import { S_IFREG } from './fuse/abi.js';
import { StaticDir } from './tree/static-dir.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from './tree/node.js';
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

export function testFilesDir(): StaticDir {
  return new StaticDir(0o755).add('block', new BlockFile());
}
