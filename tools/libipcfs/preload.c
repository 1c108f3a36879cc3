/* preload: not written yet */
typedef int ipcfs_placeholder_preload;
