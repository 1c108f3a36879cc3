/**
 * A reader that goes away (`ipcs | head -1`): util-linux's tools die of SIGPIPE there, silently,
 * and the shell sees 141 (128 + SIGPIPE). Node ignores SIGPIPE, so the write fails with EPIPE,
 * emitted as an 'error' event on the stream, which unhandled prints a stack trace. This ends the
 * process as quietly, with the status a shell gives a SIGPIPE death (for `set -o pipefail`).
 */
const SIGPIPE_STATUS = 128 + 13;

export function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(SIGPIPE_STATUS);
      throw err;
    });
  }
}
