/* libipcfs: POSIX and System V IPC served by an ipcfs mount, for C programs.
 *
 * Link with -lipcfs (tools/libipcfs/build/libipcfs.so or libipcfs.a, built by `npm install`).
 * Every call does plain open/read/write on the mount's files (docs/protocol.md) and sets errno
 * exactly as the POSIX or System V function of the same name does on Linux. All calls are
 * thread-safe; ipcfs_sem_post and sem_post_robust are async-signal-safe.
 *
 * The mount is the directory given to ipcfs_set_mount(), else $IPCFS_MOUNT, else /mnt/ipc.
 *
 * Semaphores (sem_t) used with these calls must come from ipcfs_sem_open or ipcfs_sem_init;
 * a sem_t of glibc's own is EINVAL. The same calls without the ipcfs_ prefix are what
 * libipcfs-preload.so (ipcfs exec) gives unmodified programs.
 */
#ifndef IPCFS_H
#define IPCFS_H

#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* The mount directory for the calls that follow (copied); 0, or -1 with ENAMETOOLONG. */
int ipcfs_set_mount(const char *dir);
/* The mount directory in use. */
const char *ipcfs_mount_dir(void);

/* The robust-semaphore proposal: as sem_post, sem_wait, sem_trywait and sem_timedwait (absolute
 * CLOCK_REALTIME timeout), and the change is undone when this process exits or is killed, as a
 * System V semop with SEM_UNDO (a child made by fork starts with no adjustments). */
int sem_post_robust(sem_t *sem);
int sem_wait_robust(sem_t *sem);
int sem_trywait_robust(sem_t *sem);
int sem_timedwait_robust(sem_t *sem, const struct timespec *abstime);

/* POSIX semaphores (semaphores/named, semaphores/unnamed) */
sem_t *ipcfs_sem_open(const char *name, int oflag, ...);
int ipcfs_sem_close(sem_t *sem);
int ipcfs_sem_unlink(const char *name);
int ipcfs_sem_init(sem_t *sem, int pshared, unsigned int value);
int ipcfs_sem_destroy(sem_t *sem);
int ipcfs_sem_post(sem_t *sem);
int ipcfs_sem_wait(sem_t *sem);
int ipcfs_sem_trywait(sem_t *sem);
int ipcfs_sem_timedwait(sem_t *sem, const struct timespec *abstime);
int ipcfs_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime);
int ipcfs_sem_getvalue(sem_t *sem, int *sval);

/* POSIX message queues (mqueue/named) */
mqd_t ipcfs_mq_open(const char *name, int oflag, ...);
int ipcfs_mq_close(mqd_t mqdes);
int ipcfs_mq_unlink(const char *name);
int ipcfs_mq_send(mqd_t mqdes, const char *msg, size_t len, unsigned int prio);
int ipcfs_mq_timedsend(mqd_t mqdes, const char *msg, size_t len, unsigned int prio, const struct timespec *abstime);
ssize_t ipcfs_mq_receive(mqd_t mqdes, char *msg, size_t len, unsigned int *prio);
ssize_t ipcfs_mq_timedreceive(mqd_t mqdes, char *msg, size_t len, unsigned int *prio, const struct timespec *abstime);
int ipcfs_mq_getattr(mqd_t mqdes, struct mq_attr *attr);
int ipcfs_mq_setattr(mqd_t mqdes, const struct mq_attr *attr, struct mq_attr *oldattr);
int ipcfs_mq_notify(mqd_t mqdes, const struct sigevent *sev);

/* POSIX shared memory (shared-memory/named) */
int ipcfs_shm_open(const char *name, int oflag, mode_t mode);
int ipcfs_shm_unlink(const char *name);

/* System V semaphores (semaphores/sysv); SEM_UNDO has Linux's per-process meaning */
int ipcfs_semget(key_t key, int nsems, int semflg);
int ipcfs_semop(int semid, struct sembuf *sops, size_t nsops);
int ipcfs_semtimedop(int semid, struct sembuf *sops, size_t nsops, const struct timespec *timeout);
int ipcfs_semctl(int semid, int semnum, int cmd, ...);

/* System V message queues (mqueue/sysv) */
int ipcfs_msgget(key_t key, int msgflg);
int ipcfs_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
ssize_t ipcfs_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg);
int ipcfs_msgctl(int msqid, int cmd, struct msqid_ds *buf);

/* System V shared memory (shared-memory/sysv) */
int ipcfs_shmget(key_t key, size_t size, int shmflg);
void *ipcfs_shmat(int shmid, const void *shmaddr, int shmflg);
int ipcfs_shmdt(const void *shmaddr);
int ipcfs_shmctl(int shmid, int cmd, struct shmid_ds *buf);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
