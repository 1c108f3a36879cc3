/**
 * `ipcfs ipcrm` against the system's util-linux ipcrm: each scenario runs with the system's tools
 * on kernel objects (in a private IPC namespace) and with ipcfs's on a mount, and the transcripts
 * (stdout, stderr, exit status of every step, and whether each object still exists: on ipcfs,
 * whether its file is on the mount) must be the same, ids and keys aside
 * (test/helpers/util-linux-oracle.ts). The system has util-linux 2.38: what only 2.41 has (the
 * POSIX options and types, "bad usage" without arguments) has no oracle here and is checked
 * against 2.41's source (sys-utils/ipcrm.c), said so at each test.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { shell, text } from '../helpers/cli.js';
import { CLI, asNobody, mountTest, withDaemon } from '../helpers/mount.js';
import { onIpcfs, onKernel } from '../helpers/util-linux-oracle.js';

const mtest = mountTest();
const NOBODY_PREFIX = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

const ipcrm = (args: string[], mount?: string) => shell([process.execPath, CLI, 'ipcrm', ...args], undefined, { ...process.env, LC_ALL: 'C', ...(mount ? { IPCFS_MOUNT: mount } : {}) });
const ipcmk = (args: string[], mount: string) => shell([process.execPath, CLI, 'ipcmk', ...args], undefined, { ...process.env, LC_ALL: 'C', IPCFS_MOUNT: mount });

/** The scenario on both sides; the transcripts must match. */
async function sameAsUtilLinux(t: ExecutionContext, scenario: string, daemonArgs: string[] = [], nobodyCli?: string): Promise<void> {
  await withDaemon(
    async (d) => {
      const [kernel, ipcfs] = await Promise.all([onKernel(scenario), onIpcfs(scenario, d.dir, nobodyCli)]);
      if (kernel.text !== ipcfs.text) t.log(`kernel:\n${kernel.raw}\nipcfs:\n${ipcfs.raw}`);
      t.is(ipcfs.text, kernel.text);
    },
    { args: daemonArgs },
  );
}

const MAKE_THREE = String.raw`
mk3() {
  run IPCMK -M 1024; m=$(lastid)
  run IPCMK -Q; q=$(lastid)
  run IPCMK -S 2; s=$(lastid)
}
exist3() { run EXISTS m "$m"; run EXISTS q "$q"; run EXISTS s "$s"; }
`;

mtest('by id, each kind: removed (their files gone), -v says each, a missing id is "invalid id (N)", exit 1, and the rest still go', async (t) => {
  await sameAsUtilLinux(
    t,
    MAKE_THREE +
      String.raw`
mk3
run IPCRM -v -m "$m" -q 77777 -q "$q" -s "$s"
exist3
run IPCRM -s "$s" -m -1
run IPCRM --shmem-id 77777 --queue-id=77777 --semaphore-id 77777
run IPCRM -m ' 77777'
run IPCRM -q +77777
`,
  );
});

mtest('by key (hex, decimal, octal), each kind: the object goes, not only its key; a missing key is "invalid key (K)"; key 0 is refused', async (t) => {
  await sameAsUtilLinux(
    t,
    MAKE_THREE +
      String.raw`
mk3
km=$(KEY_OF m "$m"); kq=$(KEY_OF q "$q"); ks=$(KEY_OF s "$s")
run IPCRM -v -M "$km" -Q 0x77777 -Q "$(printf %d "$kq")" -S "$(printf 0%o "$ks")"
exist3
run IPCRM -M "$km"
run IPCRM -M 0x0 -Q 00 -S 4294967296 -S -1
run IPCRM --shmem-key 0x7777777 --queue-key=0X7777777 --semaphore-key ' 0x7777777'
`,
  );
});

mtest('a key or id util-linux cannot parse ("0x", "12ab", out of range) ends the run at once: what came before is removed, what comes after is not', async (t) => {
  await sameAsUtilLinux(
    t,
    String.raw`
run IPCMK -M 1024; m1=$(lastid)
run IPCMK -M 1024; m2=$(lastid); k2=$(KEY_OF m "$m2")
run IPCRM -m "$m1" -M 12ab -M "$k2"
run EXISTS m "$m1"; run EXISTS m "$m2"
run IPCRM -M 0x
run IPCRM -Q 99999999999999999999
run IPCRM -S 08
run IPCRM -M ''
run IPCRM -m abc
run IPCRM -m 0x10
run IPCRM -q 2147483648
run IPCRM -s -2147483649
run IPCRM -m '5 '
run IPCRM -m ''
run EXISTS m "$m2"
`,
  );
});

mtest('command-line errors, leftover operands and -a with an unknown type are util-linux\'s lines and exit 1', async (t) => {
  await sameAsUtilLinux(
    t,
    String.raw`
run IPCRM -x
run IPCRM -m
run IPCRM --shmem 5
run IPCRM --verbose=1
run IPCRM -m 77777 -x
run IPCRM -q 77777 foo bar
run IPCRM --all=shmx
run IPCRM -anosuch
run IPCRM -a bad
run IPCRM -M 0
run IPCRM -v -M 0 -S 0x00
`,
  );
});

mtest('the legacy form: ipcrm shm|msg|sem ID...: "resource(s) deleted", bad ids warned about and the rest removed', async (t) => {
  await sameAsUtilLinux(
    t,
    MAKE_THREE +
      String.raw`
mk3
run IPCRM shm "$m" 77777 abc 1x
run IPCRM msg "$q"
run IPCRM sem
run IPCRM sem "$s" -1 99999999999 99999999999999999999
exist3
run IPCRM -v msg 1
`,
  );
});

mtest('-a with each type, then all: every object of the type goes (-v names each), the others stay', async (t) => {
  await sameAsUtilLinux(
    t,
    MAKE_THREE +
      String.raw`
mk3
run IPCRM -v -ashm
exist3
run IPCRM -v --all=sem
exist3
run IPCRM -v -amsg
exist3
mk3; m1=$m; q1=$q; s1=$s
mk3
run IPCRM -v --all
exist3
run EXISTS m "$m1"; run EXISTS q "$q1"; run EXISTS s "$s1"
run IPCRM -a
`,
  );
});

mtest('as another user: "permission denied for id/key", nothing removed; -a passes over what that user cannot read', async (t) => {
  const nobody = asNobody(t);
  if (typeof nobody === 'string') return t.fail(nobody);
  await sameAsUtilLinux(
    t,
    String.raw`
run IPCMK -M 1024 -p 644; m=$(lastid); km=$(KEY_OF m "$m")
run IPCMK -Q -p 600; q=$(lastid)
run IPCMK -S 1 -p 666; s=$(lastid); ks=$(KEY_OF s "$s")
run IPCRM_NOBODY -m "$m" -q "$q" -S "$ks" -M "$km"
run IPCRM_NOBODY -v -a
run IPCRM_NOBODY msg "$q"
run EXISTS m "$m"; run EXISTS q "$q"; run EXISTS s "$s"
`,
    ['--allow-other'],
    nobody.cli,
  );
});

// ---- what util-linux 2.38 (the system's) has no oracle for: 2.41's source is the reference ----

mtest('POSIX (util-linux 2.41, no oracle here): --posix-shmem/--posix-mqueue/--posix-semaphore NAME unlink named/NAME; the messages of 2.41\'s remove_name', async (t) => {
  await withDaemon(async (d) => {
    const made = await ipcmk(['-m', '4K', '-q', '-s', '-n', '/ipcrm-x'], d.dir);
    t.is(made.code, 0, made.err);
    const named = (kind: string) => join(d.dir, kind, 'named', 'ipcrm-x');
    for (const kind of ['shared-memory', 'mqueue', 'semaphores']) t.true(existsSync(named(kind)));
    const r = await ipcrm(['-v', '--posix-shmem', '/ipcrm-x', '--posix-mqueue', '/ipcrm-x', '--posix-semaphore', 'ipcrm-x', '--posix-shmem', '/ipcrm-x'], d.dir);
    // 2.41: verbose line, then shm_unlink/mq_unlink/sem_unlink; ENOENT is "name `X' not found"
    t.is(text(r), "removing POSIX shared memory `/ipcrm-x'\nremoving POSIX message queue `/ipcrm-x'\nremoving POSIX semaphore `ipcrm-x'\nremoving POSIX shared memory `/ipcrm-x'\n");
    t.is(r.err, "ipcrm: name `/ipcrm-x' not found\n");
    t.is(r.code, 1);
    for (const kind of ['shared-memory', 'mqueue', 'semaphores']) t.false(existsSync(named(kind)), kind);
    // glibc's mq_unlink refuses a name without its leading slash (EINVAL): 2.41 err()s "name failed"
    const bad = await ipcrm(['--posix-mqueue', 'ipcrm-x', '-m', '77777'], d.dir);
    t.is(bad.err, 'ipcrm: name failed: Invalid argument\n');
    t.is(bad.code, 1);
  });
});

mtest('POSIX (util-linux 2.41, no oracle here): -a pshm|pmsg|psem removes every named object of that kind, subdirectories included; -a all of them', async (t) => {
  await withDaemon(async (d) => {
    for (const name of ['/a', '/b', '/app/c']) t.is((await ipcmk(['-m', '1', '-q', '-s', '-n', name], d.dir)).code, 0);
    const sysv = await ipcmk(['-M', '1', '-Q', '-S', '1'], d.dir);
    const pshm = await ipcrm(['-v', '-apshm'], d.dir);
    t.is(text(pshm), "removing POSIX shared memory `/a'\nremoving POSIX shared memory `/app/c'\nremoving POSIX shared memory `/b'\n");
    t.is(pshm.code, 0);
    t.false(existsSync(join(d.dir, 'shared-memory', 'named', 'app', 'c')));
    t.true(existsSync(join(d.dir, 'mqueue', 'named', 'app', 'c')));
    t.is((await ipcrm(['--all=pmsg'], d.dir)).code, 0);
    t.false(existsSync(join(d.dir, 'mqueue', 'named', 'a')));
    t.true(existsSync(join(d.dir, 'semaphores', 'named', 'a')));
    const all = await ipcrm(['-v', '-a'], d.dir);
    // 2.41's order: shm, pshm, sem, psem, msg, pmsg
    t.deepEqual(
      text(all).split('\n').filter(Boolean).map((l) => l.replace(/`\d+'/, '`ID\'')),
      ["removing shared memory segment id `ID'", "removing semaphore id `ID'", "removing POSIX semaphore `/a'", "removing POSIX semaphore `/app/c'", "removing POSIX semaphore `/b'", "removing message queue id `ID'"],
    );
    t.is(all.code, 0, all.err);
    t.regex(text(sysv), /^Shared memory id: \d+\nMessage queue id: \d+\nSemaphore id: \d+\n$/);
  });
});

mtest('POSIX (util-linux 2.41, no oracle here): another user\'s named object is "permission denied for name `X\'", exit 1, and stays', async (t) => {
  const nobody = asNobody(t);
  if (typeof nobody === 'string') return t.fail(nobody);
  await withDaemon(
    async (d) => {
      t.is((await ipcmk(['-s', '-q', '-n', '/owned'], d.dir)).code, 0);
      const r = await shell([...NOBODY_PREFIX, process.execPath, nobody.cli, 'ipcrm', '--posix-semaphore', '/owned', '--posix-mqueue', '/owned'], undefined, { ...process.env, LC_ALL: 'C', IPCFS_MOUNT: d.dir });
      t.is(r.err, "ipcrm: permission denied for name `/owned'\nipcrm: permission denied for name `/owned'\n");
      t.is(r.code, 1);
      t.true(existsSync(join(d.dir, 'semaphores', 'named', 'owned')));
      t.true(existsSync(join(d.dir, 'mqueue', 'named', 'owned')));
    },
    { args: ['--allow-other'] },
  );
});

mtest('no arguments is "bad usage", exit 1 (util-linux 2.41; the system\'s 2.38 exits 0 silently); -h shows --mount and IPCFS_MOUNT without needing a mount', async (t) => {
  const none = await ipcrm([]);
  t.is(none.err, "ipcrm: bad usage\nTry 'ipcrm --help' for more information.\n");
  t.is(none.code, 1);
  const help = await ipcrm(['--help'], '/nonexistent');
  t.is(help.code, 0);
  t.regex(text(help), /^\nUsage:\n ipcrm \[options\]\n ipcrm shm\|msg\|sem <id>\.\.\.\n/);
  t.regex(text(help), /--mount <dir> .*IPCFS_MOUNT/);
  t.regex(text(help), /--posix-semaphore <name>/);
  const version = await ipcrm(['-V']);
  t.regex(text(version), /^ipcrm from ipcfs \d+\.\d+\.\d+/);
});

mtest('--mount DIR names the mount (before the legacy form\'s type word too); a missing mount or a dead daemon is one line, exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipcrm-nomount-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const none = await ipcrm(['--mount', dir, '-m', '1']);
  t.is(none.err, `ipcrm: ${dir}: not an ipcfs mount (start one with: ipcfs mount ${dir})\n`);
  t.is(none.code, 1);
  await withDaemon(async (d) => {
    const id = /id: (\d+)/.exec(text(await ipcmk(['-Q'], d.dir)))![1]!;
    const legacy = await ipcrm(['--mount', d.dir, 'msg', id], dir);
    t.is(text(legacy), 'resource(s) deleted\n');
    t.false(existsSync(join(d.dir, 'mqueue', 'sysv', id)));
    const id2 = /id: (\d+)/.exec(text(await ipcmk(['-S', '1'], d.dir)))![1]!;
    t.is((await ipcrm(['-s', id2, `--mount=${d.dir}`], dir)).code, 0);
    t.false(existsSync(join(d.dir, 'semaphores', 'sysv', id2)));
    d.child.kill('SIGKILL');
    await d.exited;
    const dead = await ipcrm(['-m', '1'], d.dir);
    t.is(dead.err, `ipcrm: ${d.dir}: the ipcfs daemon of this mount is not running (unmount it with: ipcfs umount ${d.dir})\n`);
    t.is(dead.code, 1);
  });
});
