/* sysv-sem: not written yet */
typedef int ipcfs_placeholder_sysv_sem;
#include "internal.h"
void ipcfs__sysv_sem_keep_across_exec(int keep) { (void)keep; }
