/**
 * A clone-style file (`.new` in each kind directory): write one create command, read back what it
 * made (a name, an id, a semid). The result belongs to the open handle, so concurrent creators
 * never see each other's answers. Before any write a read shows the command's usage. A command
 * file like the objects' (tree/command-file.ts: a stream; tree/command-framing.ts: framing).
 */
import { S_IFREG } from '../fuse/abi.js';
import { COMMAND_FILE_MODE, COMMAND_FILE_SIZE } from '../tree/command-file.js';
import { CommandFramer } from '../tree/command-framing.js';
import { StreamedText, wholeText } from '../tree/text-file.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from '../tree/node.js';

export class CreateFile implements FileNode {
  readonly kind = 'file';
  readonly ino = allocIno();
  private readonly born = Date.now();

  constructor(private readonly usage: string, private readonly run: (ctx: FsContext, words: string[]) => string) {}

  stat(): Stat {
    return { mode: S_IFREG | 0o666, uid: 0, gid: 0, size: COMMAND_FILE_SIZE, nlink: 1, atimeMs: this.born, mtimeMs: this.born, ctimeMs: this.born };
  }

  open(): FileHandle {
    let result = `usage: ${this.usage}`;
    const text = new StreamedText(wholeText(() => `${result}\n`));
    const framer = new CommandFramer();
    return {
      mode: COMMAND_FILE_MODE,
      read: (_ctx, _offset, size) => text.read(size),
      write: (ctx, data) => {
        text.invalidate();
        const command = framer.take(ctx.caller.pid, data);
        if (command === null) return data.length;
        const words = command.toString('utf8').trim().split(/\s+/).filter(Boolean);
        result = this.run(ctx, words);
        return data.length;
      },
      release: () => framer.clear(),
    };
  }
}

/** key=value options after the positional words: value=, mode= (octal), and bare flags. */
export function options(words: string[], allowed: string[]): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    const k = (eq < 0 ? w : w.slice(0, eq)).toLowerCase();
    if (allowed.includes(k)) opts.set(k, eq < 0 ? '' : w.slice(eq + 1));
    else positional.push(w);
  }
  return { positional, opts };
}
