/**
 * A process that holds descriptors and answers one command per line, run as any user (through a
 * setpriv prefix): the tests drive it step by step and read the exact errno of each step.
 *
 *   open PATH r|w|rw|creat   -> fd number          opendir PATH  -> fd (O_DIRECTORY: an OPENDIR)
 *   write FD TEXT            -> bytes written      read FD       -> the text read from offset 0
 *   close FD                 -> ok                 mkdir PATH / rmdir PATH / unlink PATH -> ok
 *   create CLONE TEXT        -> what the clone file answers (open, write, read back, close)
 *   createn N CLONE TEXT     -> N (the same create N times, answers not read)
 *   dir PATH -> a directory stream id (opendir(3)); dirread ID N -> up to N names; dirclose ID
 * Each answer is one JSON line: {"ok": value} or {"err": "ENOSPC"}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = String.raw`
const fs = require('node:fs');
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_DIRECTORY } = fs.constants;
const MODES = { r: O_RDONLY, w: O_WRONLY, rw: O_RDWR, creat: O_RDWR | O_CREAT };
const dirs = new Map();
let nextDir = 1;
function readAt0(fd) {
  const buf = Buffer.alloc(65536);
  return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, null)).toString();
}
function run(w) {
  switch (w[0]) {
    case 'open': return fs.openSync(w[1], MODES[w[2]], 0o600);
    case 'opendir': return fs.openSync(w[1], O_RDONLY | O_DIRECTORY);
    case 'write': return fs.writeSync(w[1] | 0, w.slice(2).join(' ') + '\n');
    case 'read': return readAt0(w[1] | 0);
    case 'close': fs.closeSync(w[1] | 0); return 'ok';
    case 'mkdir': fs.mkdirSync(w[1]); return 'ok';
    case 'rmdir': fs.rmdirSync(w[1]); return 'ok';
    case 'unlink': fs.unlinkSync(w[1]); return 'ok';
    case 'dir': dirs.set(nextDir, fs.opendirSync(w[1])); return nextDir++;
    case 'dirread': {
      const d = dirs.get(w[1] | 0), out = [];
      for (let e; out.length < (w[2] | 0) && (e = d.readSync()); ) out.push(e.name);
      return out;
    }
    case 'dirclose': dirs.get(w[1] | 0).closeSync(); dirs.delete(w[1] | 0); return 'ok';
    case 'createn': {
      const n = w[1] | 0, text = w.slice(3).join(' ') + '\n';
      for (let i = 0; i < n; i++) {
        const fd = fs.openSync(w[2], O_RDWR);
        try { fs.writeSync(fd, text); } finally { fs.closeSync(fd); }
      }
      return n;
    }
    case 'create': {
      const fd = fs.openSync(w[1], O_RDWR);
      try {
        fs.writeSync(fd, w.slice(2).join(' ') + '\n');
        return readAt0(fd).trim();
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  throw new Error('unknown command ' + w[0]);
}
const say = (x) => process.stdout.write(JSON.stringify(x) + '\n');
say({ ok: 'ready' });
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    say({ ok: run(line.split(' ')) });
  } catch (err) {
    if (!err.code) throw err;
    say({ err: err.code });
  }
});
`;

export interface Answer {
  ok?: unknown;
  err?: string;
}

export class Actor {
  readonly child: ChildProcess;
  private readonly lines: AsyncIterableIterator<string>;

  private constructor(prefix: string[]) {
    // this Node (readable by every user, unlike a per-user tool shim), as CommonJS
    const argv = [...prefix, process.execPath, '--input-type=commonjs', '-e', SCRIPT];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }

  /** Starts one and waits for its "ready" line. */
  static async start(prefix: string[] = []): Promise<Actor> {
    const a = new Actor(prefix);
    const first = await a.next();
    if (first.ok !== 'ready') throw new Error(`actor did not start: ${JSON.stringify(first)}`);
    return a;
  }

  private async next(): Promise<Answer> {
    const r = await this.lines.next();
    if (r.done) throw new Error('actor exited');
    return JSON.parse(r.value) as Answer;
  }

  /** One command (words joined by spaces; paths must not contain spaces). */
  async do(...words: (string | number)[]): Promise<Answer> {
    this.child.stdin!.write(words.join(' ') + '\n');
    return this.next();
  }

  /** The value of a command that must succeed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer: an fd, a text or a list, as the command says
  async ok(...words: (string | number)[]): Promise<any> {
    const a = await this.do(...words);
    if (a.err) throw new Error(`${words.join(' ')}: ${a.err}`);
    return a.ok;
  }

  /** Ends it (closing stdin; SIGKILL when asked) and waits for its exit. */
  async stop(kill = false): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.on('exit', r));
    if (kill) this.child.kill('SIGKILL');
    else this.child.stdin!.end();
    await exited;
  }
}
