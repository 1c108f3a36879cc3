/**
 * The open files of an object that goes with the last of them (a transient unnamed semaphore,
 * sem_init's: a program that never calls sem_destroy leaks nothing). One reference per open file
 * description, not per process or descriptor: fork and dup share one, and RELEASE comes once, when
 * the kernel drops the last user of it (close, exit, SIGKILL).
 */
import type { HandleState } from './object-file.js';

export class OpenCount {
  private count = 0;

  /** last: called once, when the count falls to zero (the caller removes the object) */
  constructor(private readonly last: () => void) {}

  get open(): number {
    return this.count;
  }

  /**
   * One more holder (an open file, the creating `.new`); its release gives the reference back.
   * Release is idempotent: a handle released twice by mistake must not remove the object under
   * another holder.
   */
  retain(): HandleState {
    this.count++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        if (--this.count === 0) this.last();
      },
    };
  }
}
