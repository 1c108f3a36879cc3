/**
 * The error type is ipc/errno.ts's ErrnoError (one type for the whole daemon); the FUSE layer calls
 * it FuseError. DecodeError marks a malformed request.
 */
import { Errno, ErrnoError } from '../../ipc/errno.js';

export { Errno, errnoName, fail, ErrnoError as FuseError } from '../../ipc/errno.js';

/** A malformed request: too short, an unterminated name, a length that does not add up. */
export class DecodeError extends ErrnoError {
  constructor(message: string) {
    super(Errno.EIO, message);
    this.name = 'DecodeError';
  }
}
