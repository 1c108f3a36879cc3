/* An unmodified program (glibc names; the interposer's under LD_PRELOAD) that closes every
 * descriptor it did not open itself (as daemons do, close 3..1023) after using each kind of IPC
 * object, opens files of its own that take the freed numbers, then uses the objects again. Prints
 * each result and errno name, then what its own files hold (they must hold nothing: no command of
 * the library may land in them) and whether they are still open (the library closes none of them). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <unistd.h>

#define FILES 12

static void show(const char *what, long r) { printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ok"); }

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char name[64];
    snprintf(name, sizeof name, "/hostile-closefrom-%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    static sem_t unnamed;
    if (named == SEM_FAILED || sem_init(&unnamed, 0, 0) < 0) return perror("sem"), 3;
    int semid = semget(IPC_PRIVATE, 1, 0600), msqid = msgget(IPC_PRIVATE, 0600);
    struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
    mqd_t mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (semid < 0 || msqid < 0 || mq < 0) return perror("get"), 3;
    struct sembuf op = { 0, 1, SEM_UNDO };
    struct { long type; char text[8]; } m = { 1, "hi" };
    char buf[16];
    show("semop before", semop(semid, &op, 1));
    show("msgsnd before", msgsnd(msqid, &m, 2, 0));
    show("msgrcv before", msgrcv(msqid, &m, sizeof m.text, 0, 0));
    show("mq_send before", mq_send(mq, "hi", 2, 0));
    show("mq_receive before", mq_receive(mq, buf, sizeof buf, NULL));
    show("sem_post named before", sem_post(named));
    show("sem_post unnamed before", sem_post(&unnamed));

    for (int fd = 3; fd < 1024; fd++)
        if (fd != mq) close(fd); /* the queue stays: it is the program's own descriptor */
    int files[FILES];
    for (int i = 0; i < FILES; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/file%d", argv[1], i);
        files[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (files[i] < 0) return perror(path), 3;
    }

    show("sem_post named", sem_post(named));
    show("sem_trywait named", sem_trywait(named));
    show("semop", semop(semid, &op, 1));
    show("msgsnd", msgsnd(msqid, &m, 2, IPC_NOWAIT));
    show("msgrcv", msgrcv(msqid, &m, sizeof m.text, 0, IPC_NOWAIT));
    show("mq_send", mq_send(mq, "hi", 2, 0));
    show("mq_receive", mq_receive(mq, buf, sizeof buf, NULL));
    show("semctl IPC_RMID", semctl(semid, 0, IPC_RMID));
    show("msgctl IPC_RMID", msgctl(msqid, IPC_RMID, NULL));
    show("sem_close", sem_close(named));
    show("sem_unlink", sem_unlink(name));
    show("mq_close", mq_close(mq));
    show("mq_unlink", mq_unlink(name));
    fflush(stdout);
    /* Last: ipcfs cannot keep this one (see the test). */
    printf("sem_post unnamed: %s\n", sem_post(&unnamed) < 0 ? strerrorname_np(errno) : "ok");

    for (int i = 0; i < FILES; i++) {
        char got[256] = "";
        ssize_t n = pread(files[i], got, sizeof got - 1, 0);
        if (n != 0) printf("file%d (fd %d): %s %zd [%.*s]\n", i, files[i], n < 0 ? strerrorname_np(errno) : "holds", n, n > 0 ? (int)n : 0, got);
    }
    printf("end\n");
    return 0;
}
