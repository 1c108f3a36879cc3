#!/usr/bin/env node
/** The ipcfs command line: mount, umount, the object tools (sem, mq, shm) and jobserver. */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from './log-levels.js';

const program = new Command();

program
  .name('ipcfs')
  .description('System V and POSIX IPC objects as plain files on a FUSE mount')
  .version('0.1.0')
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
  .showHelpAfterError();

/**
 * Every command, each loaded only when it runs (or for help): `ipcfs jobserver` starts once per
 * build and `ipcfs mq send` once per message, and loading every tool's modules (the message-queue
 * tool pulls in the kinds' parsers, mount the limits tables) doubled Node's own start-up time.
 * Keys are the commands' names (unmount, umount's alias, maps to it).
 */
const TOOLS: Record<string, () => Promise<Command>> = {
  mount: async () => (await import('./mount.js')).mountCommand(),
  umount: async () => (await import('./mount.js')).umountCommand(),
  sem: async () => (await import('./sem.js')).semCommand(),
  mq: async () => (await import('./mq.js')).mqCommand(),
  shm: async () => (await import('./shm.js')).shmCommand(),
  jobserver: async () => (await import('./jobserver.js')).jobserverCommand(),
};

/** The subcommand named on the command line (after the global options), if any. */
function subcommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

const wanted = subcommand(process.argv.slice(2));
/** unmount is umount's alias */
const canonical = (name: string | undefined): string | undefined => (name === 'unmount' ? 'umount' : name);
const want = canonical(wanted);
// a name that is no command: all of them, for commander's error and suggestions
for (const [name, load] of Object.entries(TOOLS)) if (!want || want === name || !(want in TOOLS)) program.addCommand(await load());

await program.parseAsync(process.argv);
