import { constants } from 'node:os';

/** Linux errno numbers by name (positive). */
export const Errno = constants.errno as Readonly<Record<keyof typeof constants.errno, number>>;

const names = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** The symbolic name of a positive errno, e.g. 11 -> "EAGAIN". */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E#${errno}`;
}

/**
 * The one error type of ipcfs: an errno (positive, as in errno(3)) and a message for the log.
 * Handlers throw it; only the reply encoder negates the errno for the kernel.
 */
export class FuseError extends Error {
  readonly errno: number;
  constructor(errno: number, message?: string) {
    super(message ?? errnoName(errno));
    this.name = 'FuseError';
    this.errno = errno;
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

/** A malformed request: too short, an unterminated name, a length that does not add up. */
export class DecodeError extends FuseError {
  constructor(message: string) {
    super(Errno.EIO, message);
    this.name = 'DecodeError';
  }
}

export function fail(errno: number, message?: string): never {
  throw new FuseError(errno, message);
}
