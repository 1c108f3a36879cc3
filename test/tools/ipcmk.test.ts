/**
 * `ipcfs ipcmk` against the system's util-linux ipcmk: each scenario runs with the system's tools
 * on kernel objects (in a private IPC namespace) and with ipcfs's on a mount; the transcripts
 * (stdout, stderr and exit status of every step, and the objects made: mode, size, existence —
 * on ipcfs read from the mount's files) must be the same, ids and keys aside
 * (test/helpers/util-linux-oracle.ts). The POSIX options are util-linux 2.41's, which the system
 * (2.38) lacks: those tests follow 2.41's source (sys-utils/ipcmk.c) and say so.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { shell, text } from '../helpers/cli.js';
import { CLI, mountTest, withDaemon } from '../helpers/mount.js';
import { onIpcfs, onKernel } from '../helpers/util-linux-oracle.js';

const mtest = mountTest();

const ipcmk = (args: string[], mount: string, env: NodeJS.ProcessEnv = {}) =>
  shell([process.execPath, CLI, 'ipcmk', ...args], undefined, { ...process.env, LC_ALL: 'C', IPCFS_MOUNT: mount, ...env });

async function sameAsUtilLinux(t: ExecutionContext, scenario: string): Promise<void> {
  await withDaemon(async (d) => {
    const [kernel, ipcfs] = await Promise.all([onKernel(scenario), onIpcfs(scenario, d.dir)]);
    if (kernel.text !== ipcfs.text) t.log(`kernel:\n${kernel.raw}\nipcfs:\n${ipcfs.raw}`);
    t.is(ipcfs.text, kernel.text);
  });
}

mtest('-M -Q -S together: util-linux\'s lines in its order, the objects made with mode 0644 by default and the size asked', async (t) => {
  await sameAsUtilLinux(
    t,
    String.raw`
run IPCMK -S 3 -Q -M 4096
out=$(cat "$T/o")
m=$(echo "$out" | sed -n 's/^Shared memory id: //p')
q=$(echo "$out" | sed -n 's/^Message queue id: //p')
s=$(echo "$out" | sed -n 's/^Semaphore id: //p')
run EXISTS m "$m"; run EXISTS q "$q"; run EXISTS s "$s"
run PERMS m "$m"; run PERMS q "$q"; run PERMS s "$s"
run SIZE_OF "$m"
run IPCMK --shmem 1 --queue --semaphore 1 --mode 600
run IPCMK -Q foo bar
`,
  );
});

mtest('-M sizes as util-linux\'s strtosize reads them (suffixes, iB/B, fractions, hex, octal, white space) and its refusals', async (t) => {
  const good = ['1', '1K', '1KiB', '1KB', '1k', '1kb', '1.5K', '0.5M', '0x10', '010', ' 5', '+5', '1.K', '1.05K', '2.5KB', '0x1.8K', '1.5kib', '1.5Kb', '0.0001G', ' +1K'];
  const bad = ['-5', 'abc', '1X', '1Ki', '1.5', '', '99999999999999999999', '1.0', '1.', '1.0B', '1K5', '1.25.5K', '1.123456789012345678901234K', '1.-5K', '1Y', '16E', '0'];
  const q = (s: string): string => `'${s}'`;
  await sameAsUtilLinux(
    t,
    good.map((s) => `run IPCMK -M ${q(s)}; id=$(lastid); run SIZE_OF "$id"\n`).join('') + bad.map((s) => `run IPCMK -M ${q(s)}\n`).join(''),
  );
});

mtest('-p modes: octal read by strtoul (white space, a sign, more than 9 bits), the bits ipcs shows; a non-octal mode is util-linux\'s "failed to parse mode"', async (t) => {
  const modes = ['644', '0600', '1777', '77777', ' 600', '-1', '0', '400', 'abc', '9', '', '0x1ff', '600x', '99999999999999999999999'];
  await sameAsUtilLinux(
    t,
    modes.map((p) => `run IPCMK -Q -p '${p}'; id=$(lastid); [ -n "$id" ] && run PERMS q "$id"\n`).join('') +
      `run IPCMK --mode=640 -S 1; id=$(lastid); run PERMS s "$id"\nrun IPCMK -p 604 -M 1; id=$(lastid); run PERMS m "$id"\n`,
  );
});

mtest('-S counts (strtos32) and what the kernel refuses (0, -1 semaphores; a 0-byte segment); usage errors', async (t) => {
  await sameAsUtilLinux(
    t,
    String.raw`
run IPCMK -S abc
run IPCMK -S 99999999999
run IPCMK -S 0
run IPCMK -S -1
run IPCMK -S ' 2'; id=$(lastid); run EXISTS s "$id"
run IPCMK -M 0
run IPCMK -Q -S 0
run IPCMK
run IPCMK -x
run IPCMK -Q -x
run IPCMK -M abc -Q
run IPCMK -M
run IPCMK -p 600
run IPCMK --queue=1
`,
  );
});

// ---- util-linux 2.41's POSIX options: no oracle on this system (2.38); 2.41's source is the reference ----

mtest('POSIX (util-linux 2.41, no oracle here): -m SIZE, -q, -s with -n NAME make named objects, print 2.41\'s lines, apply the umask to the mode', async (t) => {
  await withDaemon(async (d) => {
    const r = await ipcmk(['-s', '-q', '-m', '1M', '-n', '/ipcmk-x', '-p', '666'], d.dir);
    // 2.41's order: shm, POSIX shm, msg, POSIX mq, sem, POSIX sem
    t.is(text(r), 'POSIX shared memory name: /ipcmk-x\nPOSIX message queue name: /ipcmk-x\nPOSIX semaphore name: /ipcmk-x\n');
    t.is(r.code, 0, r.err);
    // shm_open, mq_open and sem_open apply the umask (the CLI inherits this process's)
    const umask = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    const want = 0o666 & ~parseInt(umask, 8);
    const shm = statSync(join(d.dir, 'shared-memory', 'named', 'ipcmk-x'));
    t.is(shm.size, 1 << 20);
    t.is(shm.mode & 0o777, want);
    t.is(statSync(join(d.dir, 'mqueue', 'named', 'ipcmk-x')).mode & 0o777, want);
    t.is(statSync(join(d.dir, 'semaphores', 'named', 'ipcmk-x')).mode & 0o777, want);
    // shm_open without O_EXCL opens the existing object and ftruncate sets its new size
    t.is((await ipcmk(['--posix-shmem', '2K', '--name', 'ipcmk-x'], d.dir)).code, 0);
    t.is(statSync(join(d.dir, 'shared-memory', 'named', 'ipcmk-x')).size, 2048);
  });
});

mtest('POSIX (util-linux 2.41, no oracle here): without -n "name is required for POSIX IPC"; glibc\'s name rules give err()\'s line', async (t) => {
  await withDaemon(async (d) => {
    const noName = await ipcmk(['-q'], d.dir);
    t.is(noName.err, "ipcmk: name is required for POSIX IPC\nTry 'ipcmk --help' for more information.\n");
    t.is(noName.code, 1);
    // mq_open refuses a name without its leading slash (EINVAL); the System V segment before it is made
    const mq = await ipcmk(['-M', '1', '-q', '-n', 'x'], d.dir);
    t.regex(text(mq), /^Shared memory id: \d+\n$/);
    t.is(mq.err, 'ipcmk: create POSIX message queue failed: Invalid argument\n');
    t.is(mq.code, 1);
    const empty = await ipcmk(['-s', '-n', '/'], d.dir);
    t.is(empty.err, 'ipcmk: create POSIX semaphore failed: Invalid argument\n');
    const help = await ipcmk(['-h'], d.dir);
    t.regex(text(help), /-n, --name <name> +name of the POSIX resource/);
    t.regex(text(help), /--mount <dir> .*IPCFS_MOUNT/);
  });
});

mtest('a missing mount or a dead daemon is one line, exit 1, nothing printed on stdout', async (t) => {
  const missing = await ipcmk(['-Q'], '/nonexistent-ipcfs-mount');
  t.is(missing.err, 'ipcmk: /nonexistent-ipcfs-mount: not an ipcfs mount (start one with: ipcfs mount /nonexistent-ipcfs-mount)\n');
  t.is(missing.code, 1);
  await withDaemon(async (d) => {
    d.child.kill('SIGKILL');
    await d.exited;
    const dead = await ipcmk(['-S', '1'], d.dir);
    t.is(text(dead), '');
    t.is(dead.err, `ipcmk: ${d.dir}: the ipcfs daemon of this mount is not running (unmount it with: ipcfs umount ${d.dir})\n`);
    t.is(dead.code, 1);
  });
});
