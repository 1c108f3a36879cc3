/**
 * A C program, generated from fs/fuse/abi.ts, that compares every struct size, field offset and
 * field width of the Layout table, and every protocol constant, with what the C compiler makes of
 * the machine's <linux/fuse.h>. It prints one line per check: "ok|MISMATCH <what> <c> <ts>".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as abi from '../../fs/fuse/abi.js';

/**
 * The checks, as [C expression, value in abi.ts, the header minor that has it (absent: any)].
 * A check newer than the machine's header prints "skip <what>" instead of being compiled.
 */
export type ProbeCheck = [expr: string, value: number, sinceMinor?: number];

export function probeChecks(): ProbeCheck[] {
  const checks: ProbeCheck[] = [];
  const layouts = (table: Record<string, abi.StructLayout>, since?: number) => {
    for (const [struct, layout] of Object.entries(table)) {
      checks.push([`sizeof(struct ${struct})`, layout.size, since]);
      for (const [field, offset, width] of layout.fields) {
        checks.push([`offsetof(struct ${struct}, ${field})`, offset, since]);
        checks.push([`sizeof(((struct ${struct} *)0)->${field})`, width, since]);
      }
    }
  };
  layouts(abi.Layout);
  layouts(abi.LayoutSince40, abi.PASSTHROUGH_MINOR);
  const constants = (prefix: string, table: Record<string, number>) => {
    for (const [name, value] of Object.entries(table)) checks.push([`${prefix}${name}`, value]);
  };
  constants('FUSE_', abi.Opcode);
  constants('FUSE_NOTIFY_', abi.NotifyCode);
  constants('FUSE_', abi.InitFlag);
  constants('FOPEN_', abi.OpenOutFlag);
  constants('FATTR_', abi.SetattrValid);
  checks.push(
    ['FUSE_KERNEL_VERSION', abi.FUSE_KERNEL_VERSION],
    ['FUSE_ROOT_ID', abi.FUSE_ROOT_ID],
    ['FUSE_MIN_READ_BUFFER', abi.FUSE_MIN_READ_BUFFER],
    ['FUSE_COMPAT_SETXATTR_IN_SIZE', abi.COMPAT_SETXATTR_IN_SIZE],
    ['FUSE_RELEASE_FLUSH', abi.RELEASE_FLUSH],
    ['FUSE_GETATTR_FH', abi.GETATTR_FH],
    ['FUSE_POLL_SCHEDULE_NOTIFY', abi.POLL_SCHEDULE_NOTIFY],
    ['FUSE_FSYNC_FDATASYNC', abi.FSYNC_FDATASYNC],
    // The layouts above are those of the header this code was written against; fuse.h only appends.
    [`FUSE_KERNEL_MINOR_VERSION >= ${abi.FUSE_KERNEL_MINOR_VERSION}`, 1],
    ['S_IFMT', abi.S_IFMT],
    ['S_IFDIR', abi.S_IFDIR],
    ['S_IFREG', abi.S_IFREG],
    ['S_IFLNK', abi.S_IFLNK],
    ['DT_DIR', abi.DT_DIR],
    ['DT_REG', abi.DT_REG],
    ['DT_LNK', abi.DT_LNK],
    ['FUSE_PASSTHROUGH >> 32', abi.InitFlag2.PASSTHROUGH, abi.PASSTHROUGH_MINOR],
    ['FOPEN_PASSTHROUGH', abi.FOPEN_PASSTHROUGH, abi.PASSTHROUGH_MINOR],
    ['FUSE_DEV_IOC_BACKING_OPEN', abi.FUSE_DEV_IOC_BACKING_OPEN, abi.PASSTHROUGH_MINOR],
    ['FUSE_DEV_IOC_BACKING_CLOSE', abi.FUSE_DEV_IOC_BACKING_CLOSE, abi.PASSTHROUGH_MINOR],
  );
  return checks;
}

export function probeSource(checks: ProbeCheck[]): string {
  const lines = checks.map(([expr, ts, since]) => {
    const line = `  check(${JSON.stringify(expr)}, (long long)(${expr}), ${ts}LL);`;
    if (since === undefined) return line;
    return `#if FUSE_KERNEL_MINOR_VERSION >= ${since}\n${line}\n#else\n  printf("skip %s\\n", ${JSON.stringify(expr)});\n#endif`;
  });
  return `#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fuse.h>

static int bad;
static void check(const char *what, long long c, long long ts) {
  printf("%s %s %lld %lld\\n", c == ts ? "ok" : "MISMATCH", what, c, ts);
  if (c != ts) bad++;
}

int main(void) {
${lines.join('\n')}
  return bad != 0;
}
`;
}

export interface ProbeResult {
  compiled: boolean;
  compilerOutput: string;
  lines: string[];
  exitCode: number | null;
}

/** Compiles and runs the probe in a fresh temp dir (removed afterwards). */
export function runProbe(checks: ProbeCheck[] = probeChecks()): ProbeResult {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-abi-probe-'));
  try {
    const src = join(dir, 'probe.c');
    const exe = join(dir, 'probe');
    writeFileSync(src, probeSource(checks));
    const cc = spawnSync('gcc', ['-std=c11', '-Wall', '-Werror', '-o', exe, src], { encoding: 'utf8' });
    if (cc.status !== 0) return { compiled: false, compilerOutput: `${cc.error ?? ''}${cc.stderr}`, lines: [], exitCode: null };
    const run = spawnSync(exe, { encoding: 'utf8' });
    return { compiled: true, compilerOutput: cc.stderr, lines: run.stdout.split('\n').filter(Boolean), exitCode: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
