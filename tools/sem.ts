/**
 * `ipcfs sem ...`: semaphores from the shell, over the files of a mount. Every operation is one
 * write(2) of a command (docs/protocol.md), so what the CLI does a script can do with `echo`.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError, DEFAULT_MOUNT, cloneCreate, errText, nonNegative, octalArg, openOrFail, readToEnd, runAs, secondsArg } from './cli-io.js';

export { DEFAULT_MOUNT };

/** NAME: "/app/sem" or "named/app/sem", "unnamed/ID", "sysv/ID", "sysv/by-key/0x162e". */
export function semPath(mount: string, name: string): string {
  const rel = name.startsWith('/') ? `named${name}` : name;
  if (!/^(named|unnamed|sysv)\//.test(rel)) throw new CliError(`"${name}": use /NAME, named/NAME, unnamed/ID, sysv/ID or sysv/by-key/KEY`);
  return join(mount, 'semaphores', rel);
}

function openForWrite(path: string): number {
  return openOrFail(path, constants.O_WRONLY);
}

/** One command, one write; the errno becomes a CliError naming the file. */
function send(path: string, command: string): void {
  const fd = openForWrite(path);
  try {
    writeSync(fd, `${command}\n`);
  } catch (err) {
    throw new CliError(`${path}: ${command}: ${errText(err)}`);
  } finally {
    closeSync(fd);
  }
}

const run = (fn: () => void | Promise<void>): (() => Promise<void>) => runAs('sem', fn);

export function semCommand(): Command {
  const sem = new Command('sem').description('POSIX and System V semaphores on an ipcfs mount');
  sem.option('-m, --mount <dir>', 'the ipcfs mount ($IPCFS_MOUNT)', DEFAULT_MOUNT);
  const mount = (): string => sem.opts<{ mount: string }>().mount;
  const undoNote = ' (--undo is reverted when this command exits: use `hold` to keep units)';

  sem
    .command('create')
    .description('create a semaphore and print its NAME: named/NAME, "unnamed" or "sysv"')
    .argument('<what>', 'named/NAME (or /NAME), unnamed, or sysv')
    .option('--value <n>', 'initial value (POSIX)', nonNegative, 0)
    .option('--mode <octal>', 'permissions', octalArg, '600')
    .option('--excl', 'fail if it exists', false)
    .option('--key <key>', 'System V key (0x hex or decimal); none = IPC_PRIVATE')
    .option('--nsems <n>', 'System V: semaphores in the set', nonNegative, 1)
    .action((what: string, o: { value: number; mode: string; excl: boolean; key?: string; nsems: number }) =>
      run(() => {
        const base = join(mount(), 'semaphores');
        if (what === 'unnamed') {
          console.log(`unnamed/${cloneCreate(join(base, 'unnamed', '.new'), `create value=${o.value} mode=${o.mode}`)}`);
        } else if (what === 'sysv') {
          const key = o.key ?? 'private';
          const id = cloneCreate(join(base, 'sysv', '.new'), `semget ${key} ${o.nsems} creat mode=${o.mode}${o.excl ? ' excl' : ''}`);
          console.log(`sysv/${id}`);
        } else {
          const name = what.startsWith('/') ? what : what.replace(/^named\//, '/');
          const made = cloneCreate(join(base, 'named', '.new'), `create ${name} value=${o.value} mode=${o.mode}${o.excl ? ' excl' : ''}`);
          console.log(`named${made}`);
        }
      })(),
    );

  sem.command('post').description('add one').argument('<name>').option('--undo', `robust${undoNote}`, false)
    .action((name: string, o: { undo: boolean }) => run(() => send(semPath(mount(), name), `post${o.undo ? ' undo' : ''}`))());
  sem.command('wait').description('take one, waiting as long as needed').argument('<name>').option('--undo', `robust${undoNote}`, false)
    .option('--timeout <seconds>', 'give up after this long (exit 1, ETIMEDOUT)', secondsArg)
    .action((name: string, o: { undo: boolean; timeout?: string }) =>
      run(() => send(semPath(mount(), name), `wait${o.undo ? ' undo' : ''}${o.timeout ? ` timeout=${o.timeout}` : ''}`))());
  sem.command('trywait').description('take one if that needs no waiting, else exit 1 (EAGAIN)').argument('<name>').option('--undo', `robust${undoNote}`, false)
    .action((name: string, o: { undo: boolean }) => run(() => send(semPath(mount(), name), `trywait${o.undo ? ' undo' : ''}`))());
  sem.command('timedwait').description('take one, waiting at most SECONDS').argument('<name>').argument('<seconds>', 'seconds', secondsArg)
    .option('--undo', `robust${undoNote}`, false)
    .action((name: string, s: string, o: { undo: boolean }) => run(() => send(semPath(mount(), name), `timedwait ${s}${o.undo ? ' undo' : ''}`))());
  sem.command('get').description('print the status (or only the value)').argument('<name>').option('--value', 'only the value line', false)
    .action((name: string, o: { value: boolean }) =>
      run(() => {
        let text: string;
        try {
          text = readToEnd(semPath(mount(), name));
        } catch (err) {
          throw new CliError(`${name}: ${errText(err)}`);
        }
        process.stdout.write(o.value ? `${/^value: (.*)$/m.exec(text)?.[1] ?? ''}\n` : text);
      })());
  sem.command('set').description('set the value (SETVAL; clears undo adjustments)').argument('<name>').argument('<value>', 'value', nonNegative)
    .option('--sem <n>', 'semaphore number in a System V set', nonNegative, 0)
    .action((name: string, value: number, o: { sem: number }) => run(() => send(semPath(mount(), name), `setval ${o.sem} ${value}`))());
  sem.command('remove').alias('rm').description('sem_unlink / sem_destroy / IPC_RMID').argument('<name>')
    .action((name: string) => run(() => send(semPath(mount(), name), 'rmid'))());

  sem
    .command('hold')
    .description('run CMD while holding N units robustly: they come back when CMD ends, even if CMD and this command are SIGKILLed')
    .argument('<name>')
    .argument('<cmd...>', 'the command (after --)')
    .option('-n, --units <n>', 'units to hold', nonNegative, 1)
    .option('--timeout <seconds>', 'give up waiting after this long', secondsArg)
    .action((name: string, cmd: string[], o: { units: number; timeout?: string }) =>
      run(async () => {
        const path = semPath(mount(), name);
        const fd = openForWrite(path);
        try {
          if (o.units > 0) writeSync(fd, `op 0:-${o.units}:undo${o.timeout ? ` timeout=${o.timeout}` : ''}\n`);
        } catch (err) {
          closeSync(fd);
          throw new CliError(`${path}: taking ${o.units}: ${errText(err)}`);
        }
        // The open file (and so the units) lives while this process *or* CMD does: CMD inherits it
        // as fd 3. When the last of them dies the kernel releases the handle and ipcfs gives the
        // units back.
        const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['inherit', 'inherit', 'inherit', fd] });
        const code = await new Promise<number>((resolve) => {
          child.on('error', (err) => {
            process.stderr.write(`ipcfs sem hold: ${cmd[0]}: ${err.message}\n`);
            resolve(127);
          });
          child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? osConstants.signals[sig] : 0)));
        });
        try {
          closeSync(fd);
        } catch (err) {
          // the descriptor is closed whatever close(2) says; ENOTCONN: the mount went away meanwhile
          process.stderr.write(`ipcfs sem hold: ${path}: close: ${errText(err)}\n`);
        }
        process.exitCode = code;
      })(),
    );
  return sem;
}
