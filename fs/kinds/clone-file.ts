/**
 * A clone-style file (`.new` in each kind directory): write one create command, read back what it
 * made (a name, an id, a semid, a msqid). The result belongs to the open handle, so concurrent creators
 * never see each other's answers. Before any write a read shows the command's usage. A command
 * file like the objects' (tree/command-file.ts: a stream; tree/command-framing.ts: framing).
 * A command may tie something to the open `.new` (keep): released with it (a transient object's
 * reference, so its creator can open it before closing `.new`).
 */
import { Errno, fail } from '../../ipc/errno.js';
import { S_IFREG } from '../fuse/abi.js';
import { COMMAND_FILE_MODE, COMMAND_FILE_SIZE } from '../tree/command-file.js';
import { CommandFramer } from '../tree/command-framing.js';
import { StreamedText, wholeText } from '../tree/text-file.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from '../tree/node.js';
import type { HandleState } from './object-file.js';
import { words } from './tokens.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class CreateFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly born = Date.now();

  constructor(private readonly usage: string, private readonly run: (ctx: FsContext, words: string[], keep: (s: HandleState) => void) => string) {}

  stat(): Stat {
    return { mode: S_IFREG | 0o666, uid: 0, gid: 0, size: COMMAND_FILE_SIZE, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  open(): FileHandle {
    let result = `usage: ${this.usage}`;
    const text = new StreamedText(wholeText(() => `${result}\n`));
    const framer = new CommandFramer();
    const kept: HandleState[] = [];
    const keep = (s: HandleState): void => void kept.push(s);
    return {
      mode: COMMAND_FILE_MODE,
      read: (_ctx, _offset, size) => text.read(size),
      write: (ctx, data) => {
        text.invalidate();
        const bytes = framer.take(ctx.caller.pid, data, ctx.caller.uid);
        if (bytes === null) return data.length;
        let command: string;
        try {
          command = utf8.decode(bytes);
        } catch {
          fail(Errno.EINVAL, 'a create command is UTF-8 text (names that are not UTF-8 are refused)');
        }
        result = this.run(ctx, words(command), keep);
        return data.length;
      },
      release: () => {
        framer.clear();
        for (const s of kept.splice(0)) s.release();
      },
    };
  }
}
