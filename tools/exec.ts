/**
 * `ipcfs exec [--mount DIR] -- CMD ...`: runs an unmodified program with libipcfs's interposer
 * (tools/libipcfs/build/libipcfs-preload.so) preloaded, so its POSIX and System V IPC calls are
 * served by the mount's files. The mount is checked first (one line and exit 1, as the other
 * tools); the command's exit status is ours (128+N when a signal ended it), and the signals a
 * supervisor sends to stop a job reach the command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getopt, GetoptError, type LongOption } from './getopt.js';
import { mountFrom, requireMount } from './mount-check.js';

const PROG = 'ipcfs exec';

/** From dist/tools/exec.js to the package's tools/libipcfs/build. */
export const PRELOAD = fileURLToPath(new URL('../../tools/libipcfs/build/libipcfs-preload.so', import.meta.url));

/** The signals forwarded to the command (a terminal's also reach it directly, as its group's). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

const LONGOPTS: LongOption[] = [
  { name: 'mount', hasArg: 'required', key: 'mount' },
  { name: 'help', hasArg: 'none', key: 'h' },
];

const USAGE = `
Usage:
 ipcfs exec [--mount <dir>] [--] <command> [<argument>...]

Runs the command with its POSIX and System V IPC calls (sem_*, mq_*, shm_open, semget, semop,
msgget, shmget, ...) served by an ipcfs mount, through LD_PRELOAD of libipcfs-preload.so.
Everything else it does goes to libc as usual. Programs linked statically, or that make the
system calls themselves, are not affected.

Options:
     --mount <dir>   the mount (default: IPCFS_MOUNT, else /mnt/ipc)
 -h, --help          display this help
`;

/** LD_PRELOAD with ours first (once); the others as they were. */
export function preloadWith(existing: string | undefined, ours = PRELOAD): string {
  const others = (existing ?? '').split(/[ :]+/).filter((p) => p && p !== ours);
  return [ours, ...others].join(':');
}

export async function main(argv: string[]): Promise<number> {
  let mountOption: string | undefined;
  let command: string[];
  try {
    // '+': the options end at the command, whose own options are its own
    const parsed = getopt(PROG, argv, '+h', LONGOPTS);
    for (const o of parsed.options) {
      if (o.key === 'h') {
        process.stdout.write(USAGE.slice(1));
        return 0;
      }
      mountOption = o.arg;
    }
    command = parsed.operands;
  } catch (err) {
    if (!(err instanceof GetoptError)) throw err;
    process.stderr.write(`${err.message}\nTry 'ipcfs exec --help' for more information.\n`);
    return 1;
  }
  if (command.length === 0) {
    process.stderr.write(`${PROG}: no command given\nTry 'ipcfs exec --help' for more information.\n`);
    return 1;
  }
  const mount = mountFrom(mountOption);
  const refused = requireMount(mount, PROG);
  if (refused !== null) return refused;
  if (!existsSync(PRELOAD)) {
    process.stderr.write(`${PROG}: ${PRELOAD}: not built (run: npm install, or make -C tools/libipcfs)\n`);
    return 1;
  }
  return run(command, { ...process.env, LD_PRELOAD: preloadWith(process.env.LD_PRELOAD), IPCFS_MOUNT: resolve(mount) });
}

/**
 * Whether this process is in the foreground process group of its controlling terminal: the
 * terminal's Ctrl-C and Ctrl-\ then reached the command (in our group) directly, and passing
 * them on would deliver them twice (a program whose second Ctrl-C means "abort the clean-up",
 * as Python's KeyboardInterrupt handlers or test runners, would abort).
 */
export function inTerminalForeground(stat = (): string => readFileSync('/proc/self/stat', 'utf8')): boolean {
  try {
    // after the command name: state ppid pgrp session tty_nr tpgid
    const f = stat().slice(stat().lastIndexOf(')') + 2).split(' ');
    return Number(f[4]) !== 0 && Number(f[5]) === Number(f[2]);
  } catch {
    return false;
  }
}

/** The signals a terminal sends to its foreground group. */
const KEYBOARD = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

function run(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done) => {
    // The handlers go in before the spawn: once the command runs, a signal sent to us (by a
    // supervisor that saw the command start) must never find the default action, which would
    // end us and leave the command orphaned, never told. A signal is handled from the event
    // loop, so `child` is set by the time one is.
    let child: ChildProcess | undefined;
    const forward = (sig: NodeJS.Signals): void => {
      if (KEYBOARD.has(sig) && inTerminalForeground()) return;
      child?.kill(sig);
    };
    for (const sig of FORWARDED) process.on(sig, forward);
    child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // as env(1) and the shells: 127 when there is no such command, 126 when it cannot run
      const why = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message;
      process.stderr.write(`${PROG}: ${command[0]}: ${why}\n`);
      for (const sig of FORWARDED) process.off(sig, forward);
      done(err.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => {
      for (const sig of FORWARDED) process.off(sig, forward);
      done(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
    });
  });
}
