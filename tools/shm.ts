/**
 * `ipcfs shm ...`: shared memory from the shell, over the files of a mount (docs/protocol.md,
 * "Shared memory", CLI). An object's file is its memory, so reading and writing bytes are plain
 * pread/pwrite on it; creating goes through `.new`, the status is the status/ mirror's file.
 *
 * NAME: `/NAME` or `named/NAME` (POSIX), `sysv/SHMID` or `sysv/by-key/0x0000abcd` (System V).
 */
import { closeSync, constants, ftruncateSync, fstatSync, readlinkSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError, DEFAULT_MOUNT, cloneCreate, errText, nonNegative, octalArg, openOrFail, readStdin, readToEnd, runAs } from './cli-io.js';

/** The object's file, relative to shared-memory/: named/NAME or sysv/SHMID (by-key resolved by the kernel). */
export function shmRel(name: string): string {
  const rel = name.startsWith('/') ? `named${name}` : name;
  if (!/^(named\/[^/]|sysv\/(\d+|by-key\/0x[0-9a-f]{8})$)/.test(rel)) throw new CliError(`"${name}": use /NAME, named/NAME, sysv/SHMID or sysv/by-key/0xKEY`);
  return rel;
}

const run = (fn: () => void | Promise<void>): (() => Promise<void>) => runAs('shm', fn);


export function shmCommand(): Command {
  const shm = new Command('shm').description('shared memory (POSIX and System V) on an ipcfs mount');
  shm.option('-m, --mount <dir>', 'the ipcfs mount ($IPCFS_MOUNT)', DEFAULT_MOUNT);
  const base = (): string => join(shm.opts<{ mount: string }>().mount, 'shared-memory');

  shm.command('create')
    .description('create an object and print its NAME: /NAME (POSIX, through named/.new) or sysv --key KEY (shmget)')
    .argument('<name>', '/NAME, named/NAME, or sysv')
    .option('--size <bytes>', 'its size (POSIX: 0 when absent; System V: required)', nonNegative)
    .option('--key <key>', 'System V: 0x1234, a decimal, or private (the default)', 'private')
    .option('--mode <octal>', 'permissions', octalArg, '600')
    .option('--excl', 'fail if it exists (EEXIST)', false)
    .action((name: string, o: { size?: number; key: string; mode: string; excl: boolean }) =>
      run(() => {
        if (name === 'sysv') {
          if (o.size === undefined) throw new CliError('create sysv: --size is required (shmget SIZE)');
          const id = cloneCreate(join(base(), 'sysv', '.new'), `shmget ${o.key} ${o.size} mode=${o.mode} creat${o.excl ? ' excl' : ''}`);
          process.stdout.write(`sysv/${id}\n`);
          return;
        }
        const rel = shmRel(name);
        if (!rel.startsWith('named/')) throw new CliError(`create: ${name}: an existing System V segment is found with --key, not by id`);
        const made = cloneCreate(join(base(), 'named', '.new'), `create ${rel.slice('named/'.length)}${o.size !== undefined ? ` size=${o.size}` : ''} mode=${o.mode}${o.excl ? ' excl' : ''}`);
        process.stdout.write(`named${made}\n`);
      })(),
    );

  /**
   * NAME as the object's own path below shared-memory/: a by-key/ link followed to the segment's
   * id (the status mirror has no by-key/, and unlinking the link would not remove the segment).
   */
  const objectRel = (name: string): string => {
    const rel = shmRel(name);
    return rel.startsWith('sysv/by-key/') ? `sysv/${readlinkSync(join(base(), rel)).replace(/^\.\.\//, '')}` : rel;
  };

  shm.command('get')
    .description('print the status (from shared-memory/status/, without touching the memory)')
    .argument('<name>')
    .option('--field <key>', 'print only the value of this status line')
    .action((name: string, o: { field?: string }) =>
      run(() => {
        let text: string;
        try {
          text = readToEnd(join(base(), 'status', objectRel(name)));
        } catch (err) {
          throw new CliError(`${name}: ${errText(err)}`);
        }
        if (!o.field) return void process.stdout.write(text);
        const m = new RegExp(`^${o.field.replace(/[^\w-]/g, '')}: (.*)$`, 'm').exec(text);
        if (!m) throw new CliError(`${name}: no status line "${o.field}"`);
        process.stdout.write(`${m[1]}\n`);
      })(),
    );

  shm.command('read')
    .description('write the object\'s bytes to stdout (pread)')
    .argument('<name>')
    .option('--offset <n>', 'from this byte', nonNegative, 0)
    .option('--length <n>', 'at most this many bytes (default: to the end)', nonNegative)
    .action((name: string, o: { offset: number; length?: number }) =>
      run(() => {
        const path = join(base(), shmRel(name));
        const fd = openOrFail(path, constants.O_RDONLY);
        try {
          const end = o.length === undefined ? fstatSync(fd).size : o.offset + o.length;
          const buf = Buffer.allocUnsafe(1 << 20);
          for (let pos = o.offset; pos < end; ) {
            const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
            if (n === 0) break;
            writeSync(1, buf, 0, n);
            pos += n;
          }
        } catch (err) {
          throw new CliError(`${path}: read: ${errText(err)}`);
        } finally {
          closeSync(fd);
        }
      })(),
    );

  shm.command('write')
    .description('write stdin\'s bytes into the object at an offset (pwrite)')
    .argument('<name>')
    .option('--offset <n>', 'at this byte', nonNegative, 0)
    .option('--truncate', 'POSIX: set the size to offset + the bytes written first (ftruncate)', false)
    .action((name: string, o: { offset: number; truncate: boolean }) =>
      run(() => {
        const path = join(base(), shmRel(name));
        const data = readStdin('the bytes');
        const fd = openOrFail(path, constants.O_RDWR);
        try {
          if (o.truncate) ftruncateSync(fd, o.offset + data.length);
          for (let off = 0; off < data.length; ) {
            const n = writeSync(fd, data, off, data.length - off, o.offset + off);
            if (n === 0) throw new CliError(`${path}: write: no room at byte ${o.offset + off}`);
            off += n;
          }
        } catch (err) {
          if (err instanceof CliError) throw err;
          throw new CliError(`${path}: write: ${errText(err)}`);
        } finally {
          closeSync(fd);
        }
      })(),
    );

  shm.command('remove').alias('rm')
    .description('shm_unlink (POSIX) or IPC_RMID (System V)')
    .argument('<name>')
    .action((name: string) =>
      run(() => {
        let path = join(base(), shmRel(name));
        try {
          path = join(base(), objectRel(name));
          unlinkSync(path);
        } catch (err) {
          throw new CliError(`${path}: rm: ${errText(err)}`);
        }
      })(),
    );
  return shm;
}
