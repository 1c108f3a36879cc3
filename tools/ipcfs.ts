#!/usr/bin/env node
/** The ipcfs command line: mount, umount, the object tools (sem, mq, shm) and jobserver. */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from './log-levels.js';
import { exitQuietlyOnEpipe } from './stdout-closed.js';

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

/** A command that parses its own arguments: main gets those after its name, returns the exit status. */
interface RawTool {
  summary: string;
  load: () => Promise<{ main(argv: string[]): Promise<number> }>;
}

/**
 * The util-linux tools over the mount (issue 9) and the live view: they parse their own command
 * lines with getopt_long's rules and util-linux's messages and exit codes (tools/getopt.ts), which
 * commander's parsing would change; commander only lists them in `ipcfs --help`.
 */
const RAW_TOOLS: Record<string, RawTool> = {
  ipcs: { summary: 'show IPC objects of the mount, as util-linux ipcs (System V; POSIX with --posix)', load: () => import('./ipcs.js') },
  ipcrm: { summary: 'remove IPC objects of the mount, as util-linux ipcrm', load: () => import('./ipcrm.js') },
  ipcmk: { summary: 'make IPC objects on the mount, as util-linux ipcmk', load: () => import('./ipcmk.js') },
  lsipc: { summary: 'list IPC objects and limits of the mount, as util-linux lsipc', load: () => import('./lsipc.js') },
  top: { summary: 'a live full-screen view of the mount\'s objects, waiters and holders', load: () => import('./top.js') },
  exec: { summary: 'run a command with its IPC calls served by the mount (LD_PRELOAD of libipcfs)', load: () => import('./exec.js') },
};

/** Where the subcommand is on the command line (after the global options), or -1. */
function subcommandAt(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level') i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

const args = process.argv.slice(2);
const at = subcommandAt(args);
const wanted = at < 0 ? undefined : args[at];
const rawTool = (name: string | undefined): RawTool | null => (name !== undefined && Object.hasOwn(RAW_TOOLS, name) ? RAW_TOOLS[name]! : null);
const raw = rawTool(wanted);
// the util-linux tools and top: a closed pipe ends them as SIGPIPE ends util-linux's, no stack trace
if (raw || wanted === 'help') exitQuietlyOnEpipe();
if (raw) {
  process.exitCode = await (await raw.load()).main(args.slice(at + 1));
} else if (wanted === 'help' && rawTool(args[at + 1])) {
  // `ipcfs help ipcs` is `ipcfs ipcs --help`, the tool's own help
  process.exitCode = await (await rawTool(args[at + 1])!.load()).main(['--help']);
} else {
  await parseWithCommander();
}

async function parseWithCommander(): Promise<void> {
  /** unmount is umount's alias */
  const want = wanted === 'unmount' ? 'umount' : wanted;
  // a name that is no command: all of them, for commander's error and suggestions
  for (const [name, load] of Object.entries(TOOLS)) if (!want || want === name || !(want in TOOLS)) program.addCommand(await load());
  for (const [name, tool] of Object.entries(RAW_TOOLS)) {
    // listed in ipcfs --help only: the command line never reaches commander for these
    program.addCommand(
      new Command(name)
        .description(tool.summary)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .argument('[args...]')
        .action(async (rest: string[]) => {
          process.exitCode = await (await tool.load()).main(rest);
        }),
    );
  }
  await program.parseAsync(process.argv);
}
