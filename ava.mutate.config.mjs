// ava settings for the per-mutant unit-test run of `npm run mutate` (scripts/mutate-unit-tests.mjs):
// unit tests only (no mounts, no gcc), worker threads (cheaper than a process per file), fail fast.
export default {
  files: [
    'dist/test/fs/fuse/requests.test.js',
    'dist/test/fs/fuse/replies.test.js',
    'dist/test/fs/fuse/codec-layout.test.js',
    'dist/test/fs/fuse/bytes.test.js',
    'dist/test/fs/fuse/session.test.js',
    'dist/test/ipc/**/*.test.js',
  ],
  workerThreads: true,
  failFast: true,
  timeout: '20s',
  verbose: false,
};
