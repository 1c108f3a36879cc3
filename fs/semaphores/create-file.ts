/**
 * A clone-style file (`.new` in each kind directory): write one create command, read back what it
 * made (a name, an id, a semid). The result belongs to the open handle, so concurrent creators
 * never see each other's answers. Before any write a read shows the command's usage. A command
 * file like the objects' (tree/command-file.ts: a stream; tree/command-framing.ts: framing).
 */
import { Errno, fail } from '../../ipc/errno.js';
import { S_IFREG } from '../fuse/abi.js';
import { COMMAND_FILE_MODE, COMMAND_FILE_SIZE } from '../tree/command-file.js';
import { CommandFramer } from '../tree/command-framing.js';
import { StreamedText, wholeText } from '../tree/text-file.js';
import { allocIno, type FileHandle, type FileNode, type FsContext, type Stat } from '../tree/node.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
        const bytes = framer.take(ctx.caller.pid, data, ctx.caller.uid);
        if (bytes === null) return data.length;
        let command: string;
        try {
          command = utf8.decode(bytes);
        } catch {
          fail(Errno.EINVAL, 'a create command is UTF-8 text (names that are not UTF-8 are refused)');
        }
        const words = command.trim().split(/\s+/).filter(Boolean);
        result = this.run(ctx, words);
        return data.length;
      },
      release: () => framer.clear(),
    };
  }
}

/** What each option of a create command is: `key=value`, or a bare flag. */
export type OptionKinds = Record<string, 'value' | 'flag'>;

/**
 * key=value options and bare flags after the positional words. A value option without its value
 * (`value`, `value=`), a flag given a value (`excl=1`) and an option given twice are EINVAL: a
 * create command says one thing or is refused before anything is made.
 */
export function options(words: string[], kinds: OptionKinds): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    const k = (eq < 0 ? w : w.slice(0, eq)).toLowerCase();
    const kind = Object.hasOwn(kinds, k) ? kinds[k] : undefined;
    if (!kind) {
      positional.push(w);
      continue;
    }
    if (opts.has(k)) fail(Errno.EINVAL, `${k} given twice`);
    if (kind === 'flag' && eq >= 0) fail(Errno.EINVAL, `${k} is a flag and takes no value`);
    if (kind === 'value' && (eq < 0 || eq === w.length - 1)) fail(Errno.EINVAL, `${k}= needs a value`);
    opts.set(k, eq < 0 ? '' : w.slice(eq + 1));
  }
  return { positional, opts };
}
