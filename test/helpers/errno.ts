/** What a call threw, for tests of ipc/ that assert the exact errno (and message). */
import { ErrnoError } from '../../ipc/errno.js';

/** The ErrnoError fn threw; anything else it threw is rethrown, and not throwing fails. */
export function thrown(fn: () => unknown): ErrnoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ErrnoError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

/** The errno code and message fn threw, to compare in one assertion (not throwing fails). */
export function refusal(fn: () => unknown): [string, string] {
  const e = thrown(fn);
  return [e.code, e.message];
}

/** The errno fn threw: undefined when it returned, -1 when it threw something that is not an ErrnoError. */
export function errnoOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ErrnoError ? e.errno : -1;
  }
  return undefined;
}

export const noop = (): void => {};
