import { constants } from 'node:os';

/** Linux errno numbers by name (positive). */
export const Errno = constants.errno as Readonly<Record<keyof typeof constants.errno, number>>;

/** Number -> name. Where two names share a number (EAGAIN/EWOULDBLOCK) the first, Linux's usual one, wins. */
const names = new Map<number, string>();
for (const [k, v] of Object.entries(constants.errno)) if (!names.has(v)) names.set(v, k);

/** The symbolic name of a positive errno, e.g. 11 -> "EAGAIN". */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E#${errno}`;
}

/**
 * The one error type of ipcfs: an errno (positive, as in errno(3)) and a message for the log.
 * IPC state machines and FUSE handlers throw it; only the FUSE reply encoder negates the errno.
 */
export class ErrnoError extends Error {
  readonly errno: number;
  constructor(errno: number, message?: string) {
    super(message ?? errnoName(errno));
    this.name = 'ErrnoError';
    this.errno = errno;
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

export function fail(errno: number, message?: string): never {
  throw new ErrnoError(errno, message);
}
