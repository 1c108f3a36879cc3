/** Semaphores through a real mount: the files, the commands, robustness to death, permissions. */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, mountTest, printed, sh, sleep, sleepsIn, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/** One command written with one write(2) by bash; its exit code and error text (strerror). */
function write(file: string, cmd: string, prefix: string[] = []): { code: number | null; err: string } {
  const argv = [...prefix, 'bash', '-c', `printf '%s\\n' "$1" > "$2"`, 'x', cmd, file];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, err: r.stderr };
}

/** Creates through a clone file and returns what it answers. */
function create(cloneFile: string, cmd: string, prefix: string[] = []): string {
  const argv = [...prefix, 'bash', '-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', cloneFile, cmd];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`create failed: ${r.stderr}`);
  return r.stdout.trim();
}

const field = (file: string, name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? '';

test('cat of a System V set prints the proposal\'s lines first, exactly', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const id = create(join(sysv, '.new'), 'semget 0x162e 1 creat mode=0777');
    t.regex(id, /^\d+$/);
    t.is(write(join(sysv, id), 'setval 0 1').code, 0);
    const lines = readFileSync(join(sysv, id), 'utf8').split('\n');
    t.deepEqual(lines.slice(0, 5), [`semid: ${id}`, 'owner: 0', 'perms: 777', 'nsems: 1', 'value: 1']);
    t.true(lines.includes('key: 0x0000162e'));
    t.is(readdirSync(join(sysv, 'by-key')).join(), '0x0000162e');
    t.is(statSync(join(sysv, 'by-key', '0x0000162e')).ino, statSync(join(sysv, id)).ino, 'by-key links to the set');
    t.is(create(join(sysv, '.new'), 'semget 0x162e 1'), id, 'semget of an existing key finds it');
    t.throws(() => create(join(sysv, '.new'), 'semget 0x162e 1 creat excl'), { message: /File exists/ }, 'EEXIST');
  });
});

test('named: O_CREAT makes it with the caller as owner and the umask applied; subdirectories; .new is atomic with a value', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'semaphores', 'named');
    spawnSync('chmod', ['755', dir]);
    const r = spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'sh', '-c', `umask 027; : > ${named}/mine`], { encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    const s = statSync(join(named, 'mine'));
    t.is(s.uid, 65534);
    t.is(s.gid, 65534);
    t.is(s.mode & 0o777, 0o640);
    t.is(field(join(named, 'mine'), 'value'), '0');
    t.is(create(join(named, '.new'), 'create some-app/sema-1 value=3 mode=0644'), '/some-app/sema-1');
    t.is(field(join(named, 'some-app', 'sema-1'), 'name'), '/some-app/sema-1');
    t.is(field(join(named, 'some-app', 'sema-1'), 'value'), '3');
    t.is(spawnSync('mkdir', [join(named, 'other')]).status, 0);
    t.is(spawnSync('sh', ['-c', `: > ${named}/other/s`]).status, 0);
    t.is(field(join(named, 'other', 's'), 'name'), '/other/s');
  }, { args: ['--allow-other'] });
});

test('post, wait, trywait, timed waits and their errnos', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=1'));
    t.is(write(f, 'wait').code, 0);
    t.regex(write(f, 'trywait').err, /Resource temporarily unavailable/);
    t.regex(write(f, 'timedwait 0.2').err, /Connection timed out/, 'POSIX timed wait: ETIMEDOUT');
    t.regex(write(f, 'wait timeout=0.1').err, /Connection timed out/);
    t.regex(write(f, 'frobnicate').err, /Invalid argument/);
    t.is(field(f, 'value'), '0', 'failed commands changed nothing');
    t.is(write(f, 'post').code, 0);
    t.is(write(f, 'set 2147483647').code, 0);
    t.regex(write(f, 'post').err, /Value too large/, 'EOVERFLOW past SEM_VALUE_MAX');
    const id = create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 2');
    const s = join(dir, 'semaphores', 'sysv', id);
    t.regex(write(s, 'op 0:-1 timeout=0.1').err, /Resource temporarily unavailable/, 'semtimedop: EAGAIN');
    t.regex(write(s, 'op 2:1').err, /File too large/, 'EFBIG');
    t.regex(write(s, 'setval 0 32768').err, /Numerical result out of range/, 'ERANGE');
    t.regex(write(s, `op ${Array.from({ length: 501 }, () => '0:0').join(' ')}`).err, /Argument list too long/, 'E2BIG');
    t.is(write(s, 'setall 1 2').code, 0);
    t.is(field(s, 'value'), '1 2');
  });
});

test('a blocked waiter lets others read, post and block; SIGKILL ends it at once and it takes nothing', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'named', create(join(dir, 'semaphores', 'named', '.new'), 'create s value=0').slice(1));
    const w1 = sh(`echo wait > ${f}`);
    const w2 = sh(`echo wait > ${f}`);
    t.true(await eventually(() => field(f, 'ncnt') === '2'), 'two waiters blocked');
    process.kill(w1.child.pid!, 'SIGKILL');
    t.is((await Promise.race([w1.done, sleep(5000).then(() => null)]))?.signal, 'SIGKILL');
    t.true(await eventually(() => field(f, 'ncnt') === '1'));
    process.kill(w2.child.pid!, 'SIGINT'); // Ctrl-C
    t.is((await Promise.race([w2.done, sleep(5000).then(() => null)]))?.signal, 'SIGINT', 'Ctrl-C ends the waiter at once');
    t.true(await eventually(() => field(f, 'ncnt') === '0'));
    t.is(write(f, 'post').code, 0, '`echo post > file` while others were blocked');
    t.is(field(f, 'value'), '1', 'the killed and interrupted waiters took nothing');
    const w3 = sh(`echo wait > ${f}; echo wait > ${f}`);
    t.true(await eventually(() => field(f, 'ncnt') === '1'));
    t.is(write(f, 'post').code, 0);
    t.is((await w3.done).code, 0);
  });
});

test('undo belongs to the handle: released on close and on SIGKILL; rm of a named one keeps open handles working', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'named', 'tokens');
    create(join(dir, 'semaphores', 'named', '.new'), 'create tokens value=2');
    const holder = sh(`exec 3>${f}; echo "wait undo" >&3; exec sleep 30`);
    t.true(await eventually(() => field(f, 'value') === '1'));
    t.regex(readFileSync(f, 'utf8'), /^undo: pid=\d+ comm=sh sem=0 adj=1$/m);
    process.kill(holder.child.pid!, 'SIGKILL');
    await holder.done;
    t.true(await eventually(() => field(f, 'value') === '2'), 'the token came back');
    t.notRegex(readFileSync(f, 'utf8'), /^undo:/m);
    // Handshake both ways: the keeper says when its handle is open, and posts once the name is gone.
    const keeper = sh(`exec 3>${f}; echo opened; while [ -e ${f} ]; do sleep 0.01; done; echo post >&3 && echo ok`);
    t.truthy(await printed(keeper, /^opened$/m), 'the keeper opened the file');
    t.is(spawnSync('rm', [f]).status, 0);
    t.is((await keeper.done).out, 'opened\nok\n', 'the handle outlived the name');
  });
});

test('100 holders SIGKILLed at random moments leave the value exactly where it started', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 1'));
    t.is(write(f, 'setval 0 4').code, 0);
    const holders = Array.from({ length: 100 }, () => sh(`exec 3>${f}; while :; do echo "op 0:-1:undo" >&3; sleep 0.0$(( RANDOM % 5 )); echo "op 0:1:undo" >&3; done`));
    for (const h of holders) {
      await sleep(Math.random() * 30);
      process.kill(h.child.pid!, 'SIGKILL');
    }
    await Promise.all(holders.map((h) => h.done));
    t.true(await eventually(() => field(f, 'value') === '4' && field(f, 'ncnt') === '0', 10000), readFileSync(f, 'utf8'));
    t.notRegex(readFileSync(f, 'utf8'), /^undo:/m);
  });
});

test('rm of a System V set wakes its waiters with EIDRM', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 1'));
    // Handshake: rm only once the waiter is counted as blocked (semncnt 1).
    const w = spawnSync('bash', ['-c', `(printf 'op 0:-1\\n' > ${f}) 2>&1 & until grep -q '^ncnt: 1$' ${f}; do sleep 0.01; done; rm ${f}; wait`], { encoding: 'utf8', timeout: 20000 });
    t.regex(w.stdout + w.stderr, /Identifier removed/);
    t.deepEqual(readdirSync(join(dir, 'semaphores', 'sysv')), ['by-key']);
  });
});

test('permissions for another user: mode bits, IPC_SET and rm rules', async (t) => {
  await withDaemon(async ({ dir }) => {
    spawnSync('chmod', ['755', dir]);
    const f = join(dir, 'semaphores', 'sysv', create(join(dir, 'semaphores', 'sysv', '.new'), 'semget private 1 mode=0644'));
    t.regex(write(f, 'op 0:1', NOBODY).err, /Permission denied/, 'no alter permission');
    t.regex(spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'cat', f], { encoding: 'utf8' }).stdout, /^semid: /, 'read permission: status');
    t.regex(spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'chmod', '666', f], { encoding: 'utf8' }).stderr, /Operation not permitted/, 'chmod by a stranger: EPERM');
    t.regex(spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'rm', '-f', f], { encoding: 'utf8' }).stderr, /Operation not permitted/, 'rm by a stranger: EPERM (IPC_RMID by neither owner nor creator)');
    t.is(spawnSync('chmod', ['666', f]).status, 0);
    t.is(write(f, 'op 0:1', NOBODY).code, 0, 'after chmod 666');
    t.regex(write(f, 'ipc_set mode=0777', NOBODY).err, /Operation not permitted/);
    t.regex(write(f, 'rmid', NOBODY).err, /Operation not permitted/);
    t.is(write(f, 'ipc_set uid=65534').code, 0);
    t.is(statSync(f).uid, 65534);
    t.is(write(f, 'ipc_set mode=0600', NOBODY).code, 0, 'the new owner may IPC_SET');
    t.is(field(f, 'cuid'), '0');
    t.is(spawnSync(NOBODY[0]!, [...NOBODY.slice(1), 'rm', f]).status, 0, 'the owner may remove');
  }, { args: ['--allow-other'] });
});

test('--sem-limits changes SEMOPM and SEMMSL', async (t) => {
  await withDaemon(async ({ dir }) => {
    const clone = join(dir, 'semaphores', 'sysv', '.new');
    t.throws(() => create(clone, 'semget private 5'), { message: /Invalid argument/ }, 'nsems above SEMMSL: EINVAL');
    const f = join(dir, 'semaphores', 'sysv', create(clone, 'semget private 4'));
    t.regex(write(f, 'op 0:1 1:1 2:1').err, /Argument list too long/);
    t.is(write(f, 'op 0:1 1:1').code, 0);
  }, { args: ['--sem-limits', 'semopm=2,semmsl=4'] });
});

test('poll(2): POLLIN when a wait would not block; a post from another process wakes the poller within 2 s', async (t) => {
  await withDaemon(async ({ dir }) => {
    const f = join(dir, 'semaphores', 'unnamed', create(join(dir, 'semaphores', 'unnamed', '.new'), 'create value=0'));
    // The poller's own timeout (8 s) is far past the bound: without FUSE_NOTIFY_POLL the kernel only
    // polls the file again when that timeout ends, so a missing wake-up cannot pass as a late one.
    const poller = sh(`exec python3 -c "
import os, select
fd = os.open('${f}', os.O_RDWR)
p = select.poll(); p.register(fd, select.POLLIN)
print('before', p.poll(0), flush=True)
r = p.poll(8000)
print('after', [(e & select.POLLIN) != 0 for _, e in r], flush=True)
"`);
    const before = await printed(poller, /^before (.*)$/m);
    t.is(before?.[1], '[]', 'nothing to take yet');
    t.true(await sleepsIn(poller.child.pid!, /poll/), 'the poller sleeps in poll(2)');
    const posted = Date.now();
    t.is(write(f, 'post').code, 0);
    const after = await printed(poller, /^after (.*)$/m, 2000);
    t.is(after?.[1], '[True]', `POLLIN within 2 s of the post (${Date.now() - posted} ms)`);
    if (!after) process.kill(poller.child.pid!, 'SIGKILL');
    const r = await poller.done;
    t.is(r.code ?? r.signal, after ? 0 : 'SIGKILL', r.err);
  });
});
