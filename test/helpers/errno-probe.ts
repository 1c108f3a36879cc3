/**
 * Runs file system calls in a child process (optionally as another user through a command prefix
 * such as setpriv) and reports each call's errno name, or 'ok' (or what it returned). Python's os
 * module makes the system calls directly, so the errno is the kernel's answer, not a shell's message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The system's Python: a per-user install (pyenv under /root) is not reachable as another user. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** One call: a Python expression over `os` and `p(path)` (the path as bytes, so any name works). */
export type Call = string;

const RUNNER = `
import errno, json, os, sys
def p(s): return s.encode('latin1') if isinstance(s, str) else s
def wr(path, data, flags=os.O_WRONLY):
    fd = os.open(p(path), flags)
    try: return os.write(fd, data.encode() if isinstance(data, str) else data)
    finally: os.close(fd)
def rd(path):
    fd = os.open(p(path), os.O_RDONLY)
    try: return os.read(fd, 65536).decode('utf8', 'replace')
    finally: os.close(fd)
def clone(path, cmd):
    fd = os.open(p(path), os.O_RDWR)
    try:
        os.write(fd, cmd.encode('latin1'))
        return os.read(fd, 4096).decode().strip()
    finally: os.close(fd)
def norm(r):
    if r is None or type(r) is int: return 'ok'
    if isinstance(r, bytes): return r.decode('latin1')
    if isinstance(r, list): return sorted(norm(x) for x in r)
    return r
out = []
for expr in json.loads(sys.argv[1]):
    try:
        r = eval(expr)
        out.append(norm(r))
    except OSError as e:
        out.append(errno.errorcode.get(e.errno, str(e.errno)))
print(json.dumps(out))
`;

/**
 * Each call's result, in order: an errno name ('EACCES'), 'ok' (None or an int), or the value it
 * returned (bytes as latin1 text, lists sorted).
 */
export function probe(calls: Call[], prefix: string[] = []): unknown[] {
  const argv = [...prefix, PYTHON, '-c', RUNNER, JSON.stringify(calls)];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

/** One call's result. */
export function probeOne(call: Call, prefix: string[] = []): unknown {
  return probe([call], prefix)[0];
}

export const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
