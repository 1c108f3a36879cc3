/**
 * lsipc's Elements table names each semaphore's last pid by its command line: a command line that
 * is not UTF-8 shows its stray bytes as \xNN, as the system's lsipc (util-linux 2.38.1, run here at
 * test time on a kernel twin in a private IPC namespace) shows them, not as U+FFFD (a `?` box on
 * the terminal, and three bytes that were never there).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, mountTest, withDaemon } from '../helpers/mount.js';
import { cloneCreate } from '../../tools/cli-io.js';

const test = mountTest();

/** argv[0] with a byte that is no UTF-8 (0xff), a newline and an escape; argv[1] how long to stay. */
const ARGV = String.raw`[b'x\ny\xff\x1b[31mz', b'30']`;

/**
 * Python: `semop` (through the mount's file, or the kernel's semop for the twin) adds 1 to
 * semaphore 0, so the set's pid is this process, then it becomes sleep with ARGV (after exec the
 * pid's cmdline is ARGV: lsipc reads it).
 */
const mountSide = (file: string): string => String.raw`
import os, sys
fd = os.open(${JSON.stringify(file)}, os.O_RDWR)
os.write(fd, b'op 0:+1\n')
os.close(fd)
os.execv(b'/bin/bash', [b'bash', b'-c', b'exec -a "$0" sleep "$1"', *${ARGV}])
`;
const kernelSide = String.raw`
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class sembuf(ctypes.Structure): _fields_ = [('n', ctypes.c_ushort), ('op', ctypes.c_short), ('flg', ctypes.c_short)]
sid = libc.semget(0, 1, 0o1600)
assert sid == 0 and libc.semop(sid, ctypes.byref(sembuf(0, 1, 0)), 1) == 0
os.execv(b'/bin/bash', [b'bash', b'-c', b'exec -a "$0" sleep "$1"', *${ARGV}])
`;

/** The Elements table of `lsipc -s --id 0` once the holder has exec'd: run in sh -c after `python3 -c SRC &`. */
const elements = (lsipc: string): string =>
  // the handshake: the pid's cmdline starts with ARGV's x once python has done its op and sleep runs
  String.raw`python3 -c "$0" & p=$!; while [ "$(head -c1 /proc/$p/cmdline 2>/dev/null)" != x ]; do sleep 0.05; done; ` +
  `${lsipc} -s --id 0 | sed -n '/^Elements/,$p'; kill $p`;

test('lsipc -s --id: a semaphore\'s non-UTF-8 COMMAND is shown as the system\'s lsipc shows it (\\xff)', async (t) => {
  const kernel = spawnSync('unshare', ['--ipc', 'sh', '-c', elements('lsipc'), kernelSide], { encoding: 'latin1', cwd: '/tmp' });
  t.is(kernel.status, 0, kernel.stderr);
  t.regex(kernel.stdout, /\\xff/, 'the reference escapes the byte');
  await withDaemon(async ({ dir }) => {
    const id = cloneCreate(join(dir, 'semaphores/sysv/.new'), 'semget private 1 mode=600');
    t.is(id, '0');
    const file = join(dir, 'semaphores/sysv', id);
    const mine = spawnSync('sh', ['-c', elements(`${process.execPath} ${CLI} lsipc --mount ${dir}`), mountSide(file)], { encoding: 'latin1', cwd: '/tmp' });
    t.is(mine.status, 0, mine.stderr);
    // the pids differ, and with them the columns' widths: fields compared, the pid left out
    const pidless = (s: string) => s.split('\n').map((l) => l.trim().split(/ +/).map((f, i) => (i === 4 && /^\d+$/.test(f) ? 'PID' : f)).join(' '));
    t.deepEqual(pidless(mine.stdout), pidless(kernel.stdout));
  });
});
