/**
 * The system's util-linux as the oracle of `ipcfs ipcrm` / `ipcfs ipcmk`: one shell scenario runs
 * twice, once with the system's ipcrm/ipcmk on kernel objects and once with ipcfs's on a mount,
 * and the two transcripts (each step's stdout, stderr and exit status) must be the same once
 * object ids and keys are written as <id> and <key>.
 *
 * Both runs happen in a fresh IPC namespace (unshare --ipc): the kernel side sees only the objects
 * its scenario makes (so `ipcrm -a` removes nothing of anyone else's), and the kernel frees them
 * all when the namespace's last process exits, even when a step or the test fails. LC_ALL=C: the
 * messages are util-linux's untranslated ones (and glibc's err() prints no stale errno of a
 * locale lookup).
 *
 * A scenario uses these shell functions:
 *   run CMD ARGS...     runs a step and writes its transcript (the command itself is not shown:
 *                       its arguments hold ids)
 *   IPCRM / IPCMK       the tool on this side; IPCRM_NOBODY: ipcrm as user nobody
 *   KEY_OF m|q|s ID     the object's key (0x and 8 hex digits), registered as a key
 *   EXISTS m|q|s ID     prints yes or no (ipcfs: whether the object's file is on the mount)
 *   PERMS m|q|s ID      the object's permission bits in octal, as ipcs shows them
 *   SIZE_OF ID          a shared memory segment's size in bytes
 *   lastid              the id printed by the last step ("... id: N"); every id a step prints
 *                       is registered as an id
 */
import { spawn } from 'node:child_process';
import { CLI } from './mount.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

const PRELUDE = String.raw`
set -u
# registrations go to the transcript even from inside $(...)
exec 3>&1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
step=0
run() {
  step=$((step + 1))
  "$@" >"$T/o" 2>"$T/e"
  rc=$?
  echo "--- step=$step $1"
  sed 's/^/out: /' "$T/o"
  sed 's/^/err: /' "$T/e"
  echo "rc=$rc"
  sed -n 's/^.* id: \([0-9]*\)$/@id \1/p' "$T/o" >&3
}
reg() { echo "@$1 $2" >&3; }
lastid() { sed -n 's/^.* id: \([0-9]*\)$/\1/p' "$T/o" | tail -n 1; }
KEY_OF() { k=$(key_of "$1" "$2"); reg key "$k"; reg key "$(printf %d "$k")"; reg key "$(printf 0%o "$k")"; echo "$k"; }
`;

const KERNEL = String.raw`
IPCRM() { ipcrm "$@"; }
IPCMK() { ipcmk "$@"; }
IPCRM_NOBODY() { ${NOBODY.join(' ')} ipcrm "$@"; }
# ipcs's table: key id owner perms bytes/nsems/used-bytes
row() { ipcs -"$1" | awk -v id="$2" '$2 == id'; }
key_of() { row "$1" "$2" | awk '{print $1}'; }
EXISTS() { if [ -n "$(row "$1" "$2")" ]; then echo yes; else echo no; fi; }
PERMS() { row "$1" "$2" | awk '{print $4}'; }
SIZE_OF() { row m "$1" | awk '{print $5}'; }
`;

function ipcfsFunctions(mount: string, nobodyCli: string): string {
  return String.raw`
M='${mount}'
IPCRM() { '${process.execPath}' '${CLI}' ipcrm "$@"; }
IPCMK() { '${process.execPath}' '${CLI}' ipcmk "$@"; }
IPCRM_NOBODY() { ${NOBODY.join(' ')} '${process.execPath}' '${nobodyCli}' ipcrm "$@"; }
dir_of() { case "$1" in m) echo "$M/shared-memory/sysv";; q) echo "$M/mqueue/sysv";; s) echo "$M/semaphores/sysv";; esac; }
status_of() { case "$1" in m) echo "$M/shared-memory/status/sysv/$2";; *) echo "$(dir_of "$1")/$2";; esac; }
key_of() { sed -n 's/^key: //p' "$(status_of "$1" "$2")"; }
EXISTS() { if [ -e "$(dir_of "$1")/$2" ]; then echo yes; else echo no; fi; }
PERMS() { printf '%o\n' "0$(sed -n 's/^perms: //p' "$(status_of "$1" "$2")")"; }
SIZE_OF() { stat -c %s "$M/shared-memory/sysv/$1"; }
`;
}

export interface Transcript {
  /** the steps, ids and keys written as <id> and <key> */
  text: string;
  /** the raw output, for t.log when they differ */
  raw: string;
}

function shell(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('unshare', ['--ipc', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scenario shell exited ${code}: ${err}\n${out}`)))),
  );
}

/**
 * Ids and keys the scenario registered (@id N, @key K lines) become <id> and <key> where
 * util-linux prints them: "... id: N", "id `N'" and "(N)" (a size or mode that happens to equal an
 * id stays as it is).
 */
export function normalize(raw: string): string {
  const names = new Map<string, string>();
  const lines: string[] = [];
  for (const line of raw.split('\n')) {
    const m = /^@(id|key) (.*)$/.exec(line);
    if (m) {
      if (m[2]) names.set(m[2], `<${m[1]}>`);
    } else {
      lines.push(line);
    }
  }
  let text = lines.join('\n');
  // longest first, so that a key's decimal form is not cut by an id inside it
  for (const [value, name] of [...names].sort((a, b) => b[0].length - a[0].length)) {
    const esc = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`(?<=id: |id \`|\\()${esc}(?=[)']|$)`, 'gm'), name);
  }
  return text;
}

/** The scenario on kernel objects with the system's util-linux. */
export async function onKernel(scenario: string): Promise<Transcript> {
  const raw = await shell(PRELUDE + KERNEL + scenario, {});
  return { raw, text: normalize(raw) };
}

/** The scenario on an ipcfs mount with `ipcfs ipcrm` / `ipcfs ipcmk` (IPCFS_MOUNT names it). */
export async function onIpcfs(scenario: string, mount: string, nobodyCli = CLI): Promise<Transcript> {
  const raw = await shell(PRELUDE + ipcfsFunctions(mount, nobodyCli) + scenario, { IPCFS_MOUNT: mount });
  return { raw, text: normalize(raw) };
}
