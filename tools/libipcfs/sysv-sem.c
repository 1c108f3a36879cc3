/* sysv-sem: not written yet */
typedef int ipcfs_placeholder_sysv_sem;
