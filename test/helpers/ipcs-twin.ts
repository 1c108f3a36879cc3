/**
 * test/tools/ipcs-twin.c, built here with gcc: each System V object made twice from one process,
 * in the kernel (a fresh IPC namespace, `unshare --ipc`) and on an ipcfs mount, then a shell
 * script run while both exist (the spec language is in the C file's header).
 */
import { shell, text } from './cli.js';
import { builtOnce } from './c-helper.js';

/** Builds ipcs-twin.c once per test process. */
export const twinBinary = (): string => builtOnce('test/tools/ipcs-twin.c');

/** Makes the twins of specs and runs script (sh) in their namespace; its stdout, the twin's `@@id` lines first. */
export async function runTwin(mount: string, script: string, specs: string[]): Promise<string> {
  const r = await shell(['unshare', '--ipc', twinBinary(), mount, script, ...specs]);
  if (r.code !== 0) throw new Error(`twin failed (${r.code}): ${r.err}\n${text(r)}`);
  return text(r);
}

/** The `@@id KIND KERNELID IPCFSID` lines: ipcfs id -> kernel id (ipcfs numbers alike for every kind). */
export function twinIds(out: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const m of out.matchAll(/^@@id \w+ (\d+) (\d+)$/gm)) {
    const known = ids.get(m[2]!);
    if (known !== undefined && known !== m[1]) throw new Error(`ipcfs id ${m[2]} twins kernel ids ${known} and ${m[1]}`);
    ids.set(m[2]!, m[1]!);
  }
  return ids;
}
