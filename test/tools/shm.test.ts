/** `ipcfs shm` over a real mount: bytes in and out at offsets, the status, create and rm for both kinds. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipcfsTool, type Run } from '../helpers/cli.js';
import { mountTest, withDaemon } from '../helpers/mount.js';

const test = mountTest();

const shm = (mount: string, args: string[], input?: Buffer): Promise<Run> => ipcfsTool('shm', mount, args, input);

test('POSIX: create at a size, write and read any bytes at offsets, the status, rm', async (t) => {
  await withDaemon(async ({ dir }) => {
    t.is((await shm(dir, ['create', '/buf', '--size', '64'])).out.toString(), 'named/buf\n');
    const bytes = randomBytes(40);
    bytes[3] = 0;
    bytes[4] = 10;
    t.is((await shm(dir, ['write', '/buf', '--offset', '8'], bytes)).code, 0);
    const file = readFileSync(join(dir, 'shared-memory', 'named', 'buf'));
    t.deepEqual(file.subarray(8, 48), bytes, 'the object holds the bytes where they were written');
    t.deepEqual(file.subarray(0, 8), Buffer.alloc(8), 'and zeros before them');
    t.deepEqual((await shm(dir, ['read', '/buf', '--offset', '8', '--length', '40'])).out, bytes);
    t.is((await shm(dir, ['read', '/buf'])).out.length, 64, 'to the end by default');
    t.is((await shm(dir, ['get', '/buf', '--field', 'size'])).out.toString(), '64\n');
    const grown = await shm(dir, ['write', '/buf', '--offset', '100', '--truncate'], Buffer.from('tail'));
    t.is(grown.code, 0, grown.err);
    t.is((await shm(dir, ['get', '/buf', '--field', 'size'])).out.toString(), '104\n');
    t.is((await shm(dir, ['rm', '/buf'])).code, 0);
    const gone = await shm(dir, ['get', '/buf']);
    t.is(gone.code, 1);
    t.regex(gone.err, /\(ENOENT\)\n$/);
  });
});

test('System V: create by key, by-key names it, its size is fixed, rm is IPC_RMID; bad names are refused', async (t) => {
  await withDaemon(async ({ dir }) => {
    const made = (await shm(dir, ['create', 'sysv', '--key', '0x4242', '--size', '100'])).out.toString().trim();
    t.regex(made, /^sysv\/\d+$/);
    t.is((await shm(dir, ['write', made], Buffer.from('abc'))).code, 0);
    t.is((await shm(dir, ['read', 'sysv/by-key/0x00004242', '--length', '3'])).out.toString(), 'abc');
    t.is((await shm(dir, ['get', 'sysv/by-key/0x00004242', '--field', 'segsz'])).out.toString(), '100\n');
    const excl = await shm(dir, ['create', 'sysv', '--key', '0x4242', '--size', '100', '--excl']);
    t.is(excl.code, 1);
    t.regex(excl.err, /\(EEXIST\)/);
    const past = await shm(dir, ['write', made, '--offset', '200'], Buffer.from('x'));
    t.is(past.code, 1, 'a segment does not grow');
    t.is((await shm(dir, ['rm', made])).code, 0);
    t.is((await shm(dir, ['get', made])).code, 1);
    const byKey = (await shm(dir, ['create', 'sysv', '--key', '0x4343', '--size', '10'])).out.toString().trim();
    const rmByKey = await shm(dir, ['rm', 'sysv/by-key/0x00004343']);
    t.is(rmByKey.code, 0, `rm by key removes the segment, not the link: ${rmByKey.err}`);
    t.is((await shm(dir, ['get', byKey])).code, 1);
    const bad = await shm(dir, ['get', 'nope']);
    t.is(bad.code, 1);
    t.regex(bad.err, /use \/NAME, named\/NAME, sysv\/SHMID or sysv\/by-key\/0xKEY/);
  });
});
