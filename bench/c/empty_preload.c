/* The floor of the interposer's cost: a shared library with nothing in it, preloaded the same
 * way, so the bench can tell what any LD_PRELOAD costs from what libipcfs-preload.so adds. */
int ipcfs_bench_empty_preload;
