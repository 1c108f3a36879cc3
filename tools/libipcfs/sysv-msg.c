/* sysv-msg: not written yet */
typedef int ipcfs_placeholder_sysv_msg;
