/* An unmodified program (glibc names; the interposer's under LD_PRELOAD) passing pointers the
 * kernel refuses with EFAULT (NULL, an unmapped address) and sizes near or past the limits to the
 * System V and POSIX message and semaphore calls. Prints each result and errno name, or the signal
 * that killed the call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
/* Each call in a child of its own: a crash inside the library is reported, and leaves no lock
 * held for the next call. The objects (kernel's or the mount's) are shared. */
#define TRY(what, expr) do { \
        fflush(stdout); \
        pid_t pid = fork(); \
        if (pid == 0) { errno = 0; long r = (long)(expr); printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "ok"); _exit(0); } \
        int status; \
        waitpid(pid, &status, 0); \
        if (WIFSIGNALED(status)) printf("%s: killed by %s\n", what, sigabbrev_np(WTERMSIG(status))); \
    } while (0)
int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[64];
    snprintf(name, sizeof name, "/hostile-efault-%d", (int)getpid());
    int semid = semget(IPC_PRIVATE, 2, 0600), msqid = msgget(IPC_PRIVATE, 0600), shmid = shmget(IPC_PRIVATE, 4096, 0600);
    struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 16};
    mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &a);
    TRY("semop NULL", semop(semid, NULL, 1));
    TRY("semtimedop bad timeout ptr", semtimedop(semid, &(struct sembuf){0, 1, 0}, 1, (struct timespec *)8));
    TRY("semop nsops huge", semop(semid, &(struct sembuf){0, 1, 0}, (size_t)-1));
    TRY("semop nsops 501", semop(semid, &(struct sembuf){0, 1, 0}, 501));
    TRY("semctl GETALL NULL", semctl(semid, 0, GETALL, NULL));
    TRY("semctl SETALL NULL", semctl(semid, 0, SETALL, NULL));
    TRY("semctl IPC_STAT NULL", semctl(semid, 0, IPC_STAT, NULL));
    TRY("semctl IPC_SET NULL", semctl(semid, 0, IPC_SET, NULL));
    TRY("msgsnd NULL", msgsnd(msqid, NULL, 4, IPC_NOWAIT));
    TRY("msgsnd huge", msgsnd(msqid, &(long[2]){1, 0}, (size_t)-1, IPC_NOWAIT));
    TRY("msgsnd 8193", msgsnd(msqid, &(long[2]){1, 0}, 8193, IPC_NOWAIT));
    TRY("msgrcv NULL empty", msgrcv(msqid, NULL, 4, 0, IPC_NOWAIT));
    TRY("msgsnd ok", msgsnd(msqid, &(long[2]){1, 0}, 4, IPC_NOWAIT));
    TRY("msgrcv NULL", msgrcv(msqid, NULL, 4, 0, IPC_NOWAIT));
    TRY("msgrcv msgsz huge", msgrcv(msqid, &(long[2]){0}, (size_t)-1, 0, IPC_NOWAIT));
    TRY("msgctl IPC_STAT NULL", msgctl(msqid, IPC_STAT, NULL));
    TRY("shmctl IPC_STAT NULL", shmctl(shmid, IPC_STAT, NULL));
    TRY("mq_send NULL", mq_send(q, NULL, 4, 0));
    TRY("mq_send ok", mq_send(q, "abcd", 4, 0));
    TRY("mq_receive NULL", mq_receive(q, NULL, 16, NULL));
    /* The same process receives again after an EFAULT (its descriptor's answer was read to the end). */
    static struct { long type; char text[8000]; } big = { 1, "big" };
    struct mq_attr a8k = {.mq_maxmsg = 2, .mq_msgsize = 8000};
    char name8k[80];
    snprintf(name8k, sizeof name8k, "%s-8k", name);
    mqd_t q8k = mq_open(name8k, O_CREAT | O_RDWR, 0600, &a8k);
    TRY("mq_receive NULL, then again", (mq_send(q8k, big.text, 8000, 0), mq_receive(q8k, NULL, 8000, NULL), mq_send(q8k, big.text, 8000, 0), mq_receive(q8k, big.text, 8000, NULL)));
    TRY("msgrcv NULL, then again", (msgsnd(msqid, &big, 8000, 0), msgrcv(msqid, NULL, 8000, 0, 0), msgsnd(msqid, &big, 8000, 0), msgrcv(msqid, &big, 8000, 0, 0)));
    mq_unlink(name8k);
    TRY("mq_getattr NULL", mq_getattr(q, NULL));
    TRY("mq_timedsend NULL abs", mq_timedsend(q, "x", 1, 0, NULL));
    TRY("mq_timedreceive bad abs", mq_timedreceive(q, (char[16]){0}, 16, NULL, (struct timespec *)8));
    TRY("mq_send huge len", mq_send(q, "x", (size_t)-1, 0));
    TRY("mq_receive small", mq_receive(q, (char[4]){0}, 4, NULL));
    TRY("mq_timedsend neg", mq_timedsend(q, "x", 1, 0, &(struct timespec){-5, 0}));
    TRY("mq_timedsend nsec bad", mq_timedsend(q, "x", 1, 0, &(struct timespec){0, -1}));
    TRY("mq_timedsend full past", mq_timedsend(q, "x", 1, 0, &(struct timespec){0, 0}));
    mq_unlink(name);
    semctl(semid, 0, IPC_RMID); msgctl(msqid, IPC_RMID, 0); shmctl(shmid, IPC_RMID, 0);
    return 0;
}
