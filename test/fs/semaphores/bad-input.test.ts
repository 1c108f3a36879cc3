/**
 * Bad input through a real mount gets Linux's errno and changes nothing: ipc_set ids, semget keys,
 * names that are not UTF-8, a `.new` create that fails half way, symlink/link, `rm .new`, and a
 * pwrite at the far end of the offset range.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { NOBODY, probe, probeOne } from '../../helpers/errno-probe.js';

const test = mountTest();

const q = JSON.stringify;
const field = (file: string, name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? '';

test('ipc_set with an id that is not a valid uid/gid is EINVAL and changes nothing', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const id = probeOne(`clone(${q(join(sysv, '.new'))}, 'semget private 1 mode=0600')`, NOBODY) as string;
    const f = join(sysv, id);
    const sets = ['uid=-1', 'uid=4294967295', 'uid=4294967296', 'gid=-5', 'gid=4294967296', 'uid=99999999999999999999', 'uid=0x10'];
    t.deepEqual(probe(sets.map((s) => `wr(${q(f)}, 'ipc_set ${s}\\n')`), NOBODY), sets.map(() => 'EINVAL'));
    t.is(statSync(f).uid, 65534);
    t.is(statSync(f).gid, 65534);
    t.is(field(f, 'owner'), '65534');
    t.is(probeOne(`rd(${q(f)}).splitlines()[0]`, NOBODY), `semid: ${id}`, 'the owner still reads it');
    t.is(probeOne(`wr(${q(f)}, 'ipc_set uid=4294967294 gid=0\\n')`), 'ok', 'the largest valid id is taken');
    t.is(statSync(f).uid, 4294967294);
  }, { args: ['--allow-other'] });
});

test('semget keys outside 32 bits are EINVAL, never wrapped to another key', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sysv = join(dir, 'semaphores', 'sysv');
    const keys = ['4294967296', '-2147483649', '0x100000000', '18446744073709551616', '12345678901'];
    t.deepEqual(probe(keys.map((k) => `clone(${q(join(sysv, '.new'))}, 'semget ${k} 1 creat')`)), keys.map(() => 'EINVAL'));
    t.deepEqual(readdirSync(sysv), ['by-key'], 'no set was made (4294967296 used to become IPC_PRIVATE)');
    const id = probeOne(`clone(${q(join(sysv, '.new'))}, 'semget 4294967295 1 creat')`);
    t.regex(String(id), /^\d+$/);
    t.deepEqual(readdirSync(join(sysv, 'by-key')), ['0xffffffff'], 'the top of the range is key -1');
    t.is(probeOne(`clone(${q(join(sysv, '.new'))}, 'semget -1 1')`), id, '-1 is the same key');
  });
});

test('names that are not UTF-8 are refused with EINVAL at create and found nowhere (ENOENT)', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'semaphores', 'named');
    const unnamed = join(dir, 'semaphores', 'unnamed');
    const N = q(named);
    const r = probe([
      `os.open(p(${N} + '/\\xff\\xfe'), os.O_CREAT | os.O_RDWR, 0o600)`,
      `os.open(p(${N} + '/\\xc0\\x80'), os.O_CREAT | os.O_RDWR, 0o600)`,
      `os.mknod(p(${N} + '/\\xed\\xa0\\x80'), 0o100600)`,
      `os.mkdir(p(${N} + '/\\xff'))`,
      `clone(${N} + '/.new', 'create \\xff\\xfe value=1')`,
      `clone(${N} + '/.new', 'create dir/\\xc0\\x80 value=1')`,
      `os.stat(p(${N} + '/\\xff\\xfe'))`,
      `os.unlink(p(${N} + '/\\xff\\xfe'))`,
      `os.open(p(${q(unnamed)} + '/\\xff\\xfe'), os.O_CREAT | os.O_RDWR, 0o600)`,
    ]);
    t.deepEqual(r, ['EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'ENOENT', 'ENOENT', 'EINVAL']);
    t.deepEqual(readdirSync(named), [], 'nothing was made (not even dir/)');
    t.deepEqual(readdirSync(unnamed), []);
    t.is(probeOne(`os.open(p(${N} + '/caf\\xc3\\xa9'), os.O_CREAT | os.O_RDWR, 0o600)`), 'ok', 'a UTF-8 name works');
    t.deepEqual(readdirSync(named), ['café']);
  });
});

test('a failing .new create leaves no directory behind', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'semaphores', 'named');
    const clone = q(join(named, '.new'));
    t.is(probeOne(`clone(${clone}, 'create x value=1')`), '/x');
    const r = probe([
      `clone(${clone}, 'create a/b/c value=notanumber')`,
      `clone(${clone}, 'create a/b/c mode=999')`,
      `clone(${clone}, 'create d/e value=4294967296')`, // past SEM_VALUE_MAX: refused by the semaphore itself
      `clone(${clone}, 'create f/g/..')`,
      `clone(${clone}, 'create h/.new')`,
      `clone(${clone}, 'create x/y value=1')`,
      `clone(${clone}, 'create x excl')`,
      `clone(${clone}, 'create i/j value=1 value=2')`,
      `clone(${clone}, 'create i/j excl=yes')`,
    ]);
    t.deepEqual(r, ['EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'ENOTDIR', 'EEXIST', 'EINVAL', 'EINVAL']);
    t.deepEqual(readdirSync(named), ['x']);
    t.is(probeOne(`clone(${clone}, 'create k/l/m value=2')`), '/k/l/m', 'a good one still makes its directories');
    t.is(field(join(named, 'k', 'l', 'm'), 'value'), '2');
    t.is(statSync(join(named, 'k')).nlink, 3, 'k counts l');
    t.deepEqual(probe([`os.unlink(p(${q(join(named, 'k', 'l', 'm'))}))`, `os.rmdir(p(${q(join(named, 'k', 'l'))}))`]), ['ok', 'ok']);
    t.is(statSync(join(named, 'k')).nlink, 2, 'rmdir uncounts (the kernel dropped k\'s cached attributes)');
  });
});

test('symlink and link are EPERM like rename; rm .new is EPERM', async (t) => {
  await withDaemon(async ({ dir }) => {
    const sems = join(dir, 'semaphores');
    const N = q(join(sems, 'named'));
    t.is(probeOne(`clone(${N} + '/.new', 'create x value=1')`), '/x');
    const r = probe([
      `os.symlink('x', p(${N} + '/l'))`,
      `os.link(p(${N} + '/x'), p(${N} + '/l'))`,
      `os.rename(p(${N} + '/x'), p(${N} + '/y'))`,
      `os.unlink(p(${N} + '/.new'))`,
      `os.unlink(p(${q(join(sems, 'unnamed', '.new'))}))`,
      `os.unlink(p(${q(join(sems, 'sysv', '.new'))}))`,
    ]);
    t.deepEqual(r, ['EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM', 'EPERM']);
    t.deepEqual(readdirSync(join(sems, 'named')), ['x']);
    for (const kind of ['named', 'unnamed', 'sysv']) t.true(statSync(join(sems, kind, '.new')).isFile(), `${kind}/.new is still there`);
  });
});

test('a pwrite and a pread at offset 2^63-10 are answered (ESPIPE: object files are streams), and the daemon logs no error', async (t) => {
  await withDaemon(async (d) => {
    const f = q(join(d.dir, '.ipcfs-test', 'block'));
    const r = probe([
      `os.pwrite(os.open(p(${f}), os.O_RDWR), b'x', 2**63 - 10)`,
      `os.pread(os.open(p(${f}), os.O_RDWR), 5, 2**63 - 10)`,
    ]);
    // the kernel answers for streams (FOPEN_STREAM clears FMODE_PWRITE/PREAD); the daemon's decoding
    // of the whole u64 offset range is tested in test/fs/fuse/requests.test.ts
    t.deepEqual(r, ['ESPIPE', 'ESPIPE']);
    t.is(readFileSync(join(d.dir, '.ipcfs-test', 'block'), 'utf8').split('\n')[0], 'blocked: 0', 'the daemon still serves');
    t.notRegex(d.stderr(), /"level":(50|60)/, d.stderr());
  });
});
