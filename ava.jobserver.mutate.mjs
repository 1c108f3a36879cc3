export default { files: ['dist/test/ipc/jobserver/*.test.js'], workerThreads: true, failFast: true, timeout: '20s', verbose: false };
