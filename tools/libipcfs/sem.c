/* sem: not written yet */
typedef int ipcfs_placeholder_sem;
#include "internal.h"
void ipcfs__sem_keep_across_exec(int keep) { (void)keep; }
