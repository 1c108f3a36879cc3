/**
 * A generated make project for the jobserver tests (test/fs/jobserver/make-chaos.test.ts): a tree
 * of directories, each with a Makefile whose leaf targets are jobs that measure how many jobs run
 * at once (test/fs/jobserver/jobserver-client.c, `job`), and whose directory targets are recursive
 * sub-makes (`+$(MAKE) -C sub`). Optionally some targets run the C jobserver client instead, which
 * takes tokens from the pool for jobs of its own.
 *
 * Every target is a file written by its job when it succeeds (a killed job leaves none), so a
 * second `make` rebuilds exactly what the first did not finish.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProjectOptions {
  /** the project's root directory (created) */
  root: string;
  /** the compiled jobserver-client */
  client: string;
  /** levels of sub-directories below the root (0: the root only) */
  depth: number;
  /** sub-directories per directory */
  fanout: number;
  /** leaf jobs per directory */
  leaves: number;
  /** C-client targets per directory, each running clientJobs jobs (default 0) */
  clients?: number;
  clientJobs?: number;
  /** the client's open and wait styles */
  clientOpen?: 'split' | 'rdwr';
  clientWait?: 'pselect' | 'poll';
  /** how long each job sleeps, ms */
  sleepMs: number;
  /** a recipe of the root that runs this command line too (e.g. a nested `ipcfs jobserver`) */
  extraRootRecipe?: string;
  /** the jobs' state directory (default ROOT/.state): projects that share one are counted together */
  state?: string;
}

export interface Project {
  root: string;
  /** the jobs' shared state: run/ (running jobs), max (most jobs seen running at once) */
  state: string;
  /** jobs the whole build runs */
  jobs: number;
  /** sub-makes it starts */
  subMakes: number;
}

export function makeProject(o: ProjectOptions): Project {
  const state = o.state ?? join(o.root, '.state');
  mkdirSync(join(state, 'run'), { recursive: true });
  let jobs = 0;
  let subMakes = 0;
  const clients = o.clients ?? 0;
  const clientJobs = o.clientJobs ?? 0;

  const dir = (path: string, level: number): void => {
    mkdirSync(path, { recursive: true });
    const subs = level < o.depth ? Array.from({ length: o.fanout }, (_, i) => `sub${i}`) : [];
    const leaves = Array.from({ length: o.leaves }, (_, i) => `leaf${i}.out`);
    const runs = Array.from({ length: clients }, (_, i) => `client${i}.stamp`);
    jobs += leaves.length + runs.length * clientJobs;
    subMakes += subs.length;
    const lines = [
      `JOB = ${o.client} job`,
      `STATE = ${state}`,
      '',
      `all: ${[...leaves, ...runs, ...subs].join(' ')}${o.extraRootRecipe && level === 0 ? ' extra' : ''}`,
      '',
      // no shell metacharacter: make runs the job itself, no shell between them
      `${leaves.join(' ') || 'none.out'}:`,
      `\t@$(JOB) $(CURDIR)/$@ $(STATE) ${o.sleepMs}`,
      '',
    ];
    for (const r of runs) {
      const name = r.replace('.stamp', '');
      lines.push(
        `${r}:`,
        // '+': the client is a job that uses the jobserver (make 4.3 passes its descriptors only then)
        `\t+@${o.client} run --open ${o.clientOpen ?? 'split'} --wait ${o.clientWait ?? 'pselect'} --jobs ${clientJobs} --out $(CURDIR) --state $(STATE) --sleep ${o.sleepMs} --name ${name} --stamp $(CURDIR)/$@`,
        '',
      );
    }
    for (const s of subs) lines.push(`${s}:`, `\t+@$(MAKE) --no-print-directory -C ${s}`, '');
    if (o.extraRootRecipe && level === 0) lines.push('extra:', `\t+${o.extraRootRecipe}`, '');
    lines.push(`.PHONY: all ${subs.join(' ')}${o.extraRootRecipe && level === 0 ? ' extra' : ''}`, '');
    writeFileSync(join(path, 'Makefile'), lines.join('\n'));
    for (const s of subs) dir(join(path, s), level + 1);
  };
  dir(o.root, 0);
  return { root: o.root, state, jobs, subMakes };
}
