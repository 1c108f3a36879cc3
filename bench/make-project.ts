/**
 * A generated C project for the jobserver benchmark (bench/jobserver.ts): a top Makefile that runs
 * one recursive sub-make per directory, each compiling its C files with `cc -O1 -c` (real but short
 * work: about 40 ms of CPU each, so that the build takes a few seconds on two idle cores). Only what a clean build's wall time needs: the
 * recipes measure nothing and are never killed (the tests' project, test/helpers/make-project.ts,
 * is the one that counts running jobs and survives chaos).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MakeProject {
  readonly dir: string;
  /** compile jobs in a build (sub-makes apart) */
  readonly jobs: number;
  /** removes every object file: the next build is a clean one */
  clean(): void;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A C file of a few small functions, different in each file so no two compiles are alike. */
function source(dir: number, file: number): string {
  const k = dir * 100 + file;
  const fns: string[] = [`static int table_${k}[64] = { ${Array.from({ length: 64 }, (_, i) => (i * 31 + k) % 97).join(', ')} };`];
  for (let f = 0; f < 6; f++) {
    fns.push(`int f${k}_${f}(int x) {
  int s = ${f + k};
  for (int i = 0; i < x; i++) s = s * 33 + table_${k}[(i + ${f}) & 63] - (s >> 7);
  for (int j = 0; j < x % 17; j++) s ^= f${k}_${f === 0 ? 5 : f - 1}(x / 2) + j;
  return s;
}`);
  }
  return `int f${k}_5(int x);\n${fns.join('\n')}\n`;
}

/** Writes the project into dir (made if missing): subdirs sub-makes of filesPerDir compiles each. */
export function writeMakeProject(dir: string, subdirs = 10, filesPerDir = 20): MakeProject {
  const names = Array.from({ length: subdirs }, (_, d) => `d${pad(d)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Makefile'), [
    `SUBDIRS := ${names.join(' ')}`,
    'all: $(SUBDIRS)',
    '$(SUBDIRS):',
    '\t+@$(MAKE) --no-print-directory -C $@',
    '.PHONY: all $(SUBDIRS)',
    '',
  ].join('\n'));
  names.forEach((name, d) => {
    const sub = join(dir, name);
    mkdirSync(sub, { recursive: true });
    const files = Array.from({ length: filesPerDir }, (_, f) => `f${pad(f)}`);
    for (const [f, file] of files.entries()) writeFileSync(join(sub, `${file}.c`), source(d, f));
    writeFileSync(join(sub, 'Makefile'), [
      `OBJS := ${files.map((f) => `${f}.o`).join(' ')}`,
      'all: $(OBJS)',
      '%.o: %.c',
      '\t@cc -O1 -c -o $@ $<',
      '',
    ].join('\n'));
  });
  const clean = (): void => {
    for (const name of names) {
      for (const f of readdirSync(join(dir, name))) if (f.endsWith('.o')) rmSync(join(dir, name, f));
    }
  };
  clean();
  return { dir, jobs: subdirs * filesPerDir, clean };
}
