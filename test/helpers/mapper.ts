/**
 * A process that maps files and answers one command per line (Python 3: mmap slices are plain
 * memory loads and stores, no msync). Tests drive several of them to see what one process's
 * store shows another, step by step.
 *
 *   open PATH            -> fd (O_RDWR | O_CREAT, 0600)     close FD -> ok
 *   map FD SIZE          -> a mapping id (MAP_SHARED)        unmap ID -> ok
 *   store ID OFF HEX     -> ok (bytes stored in the mapping) load ID OFF LEN -> hex
 *   pread FD OFF LEN     -> hex                              pwrite FD OFF HEX -> bytes written
 *   truncate FD SIZE     -> ok                               size FD -> st_size
 *   msync ID             -> ok                               unlink PATH -> ok
 * Each answer is one JSON line: {"ok": value} or {"err": "ENOENT"}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const SCRIPT = String.raw`
import errno, json, mmap, os, sys
maps = {}
def run(w):
    c = w[0]
    if c == 'open': return os.open(w[1], os.O_RDWR | os.O_CREAT, 0o600)
    if c == 'close': os.close(int(w[1])); return 'ok'
    if c == 'map':
        m = mmap.mmap(int(w[1]), int(w[2]), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        maps[len(maps) + 1] = m
        return len(maps)
    if c == 'unmap': maps.pop(int(w[1])).close(); return 'ok'
    if c == 'store':
        b = bytes.fromhex(w[3]); o = int(w[2]); maps[int(w[1])][o:o + len(b)] = b; return 'ok'
    if c == 'load':
        o = int(w[2]); return maps[int(w[1])][o:o + int(w[3])].hex()
    if c == 'msync': maps[int(w[1])].flush(); return 'ok'
    if c == 'pread': return os.pread(int(w[1]), int(w[3]), int(w[2])).hex()
    if c == 'pwrite': return os.pwrite(int(w[1]), bytes.fromhex(w[3]), int(w[2]))
    if c == 'truncate': os.ftruncate(int(w[1]), int(w[2])); return 'ok'
    if c == 'size': return os.fstat(int(w[1])).st_size
    if c == 'unlink': os.unlink(w[1]); return 'ok'
    raise ValueError(c)
for line in sys.stdin:
    try:
        out = {'ok': run(line.split())}
    except OSError as e:
        out = {'err': errno.errorcode.get(e.errno, str(e.errno))}
    print(json.dumps(out), flush=True)
`;

export class Mapper {
  private readonly child: ChildProcess;
  private readonly answers: ((line: string) => void)[] = [];
  private err = '';

  /**
   * prefix: run through it (e.g. setpriv as another user); then the system's python3, since the
   * one on PATH may be in a directory only its owner can search (a pyenv shim under /root).
   */
  constructor(prefix: string[] = []) {
    const argv = [...prefix, prefix.length > 0 && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', '-c', SCRIPT];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.answers.shift()?.(line));
    this.child.on('exit', () => {
      for (const a of this.answers.splice(0)) a(JSON.stringify({ err: `exited: ${this.err}` }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** One command; its answer, or throws with the errno name as the message. */
  async do(cmd: string): Promise<unknown> {
    const line = await new Promise<string>((resolve) => {
      this.answers.push(resolve);
      this.child.stdin!.write(`${cmd}\n`);
    });
    const a = JSON.parse(line) as { ok?: unknown; err?: string };
    if (a.err !== undefined) throw Object.assign(new Error(a.err), { code: a.err });
    return a.ok;
  }

  /** Ends the process (closing its descriptors and mappings, as exit does) and waits for it. */
  async end(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.stdin!.end();
    await gone;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
