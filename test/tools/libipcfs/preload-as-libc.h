/* Included first (gcc -include) by preload-scenarios.test.ts: builds a libipcfs scenario program
 * (compiled with its ipcfs paths on: USE_IPCFS, ipcfs.h) as an unmodified program instead: every
 * ipcfs_* call becomes the libc function of the same name, and nothing links libipcfs, so under
 * LD_PRELOAD=libipcfs-preload.so the calls go through the interposer's forwards (the variadic
 * sem_open, mq_open and semctl included). No header here: the program's own feature macros
 * (_GNU_SOURCE) must come first. */
extern char *getenv(const char *);
static inline const char *preload_mount_dir(void) {
    const char *m = getenv("IPCFS_MOUNT");
    return m && *m ? m : "/mnt/ipc";
}
#define ipcfs_mount_dir preload_mount_dir
#define ipcfs_sem_open sem_open
#define ipcfs_sem_close sem_close
#define ipcfs_sem_unlink sem_unlink
#define ipcfs_sem_init sem_init
#define ipcfs_sem_destroy sem_destroy
#define ipcfs_sem_post sem_post
#define ipcfs_sem_wait sem_wait
#define ipcfs_sem_trywait sem_trywait
#define ipcfs_sem_timedwait sem_timedwait
#define ipcfs_sem_clockwait sem_clockwait
#define ipcfs_sem_getvalue sem_getvalue
#define ipcfs_mq_open mq_open
#define ipcfs_mq_close mq_close
#define ipcfs_mq_unlink mq_unlink
#define ipcfs_mq_send mq_send
#define ipcfs_mq_timedsend mq_timedsend
#define ipcfs_mq_receive mq_receive
#define ipcfs_mq_timedreceive mq_timedreceive
#define ipcfs_mq_getattr mq_getattr
#define ipcfs_mq_setattr mq_setattr
#define ipcfs_mq_notify mq_notify
#define ipcfs_shm_open shm_open
#define ipcfs_shm_unlink shm_unlink
#define ipcfs_semget semget
#define ipcfs_semop semop
#define ipcfs_semtimedop semtimedop
#define ipcfs_semctl semctl
#define ipcfs_msgget msgget
#define ipcfs_msgsnd msgsnd
#define ipcfs_msgrcv msgrcv
#define ipcfs_msgctl msgctl
#define ipcfs_shmget shmget
#define ipcfs_shmat shmat
#define ipcfs_shmdt shmdt
#define ipcfs_shmctl shmctl
