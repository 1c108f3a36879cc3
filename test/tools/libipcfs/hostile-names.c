/* An unmodified program (glibc names; the interposer's under LD_PRELOAD) giving sem_open and
 * mq_open names that are legal on Linux but are not one word: blanks inside, leading or trailing,
 * a newline, a tab, a no-break space, and names that look like the mount's create options. Prints
 * each result, errno name and value. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *err(int failed) { return failed ? strerrorname_np(errno) : "ok"; }

int main(void) {
    static const char *const names[] = {
        "/a b", "/ lead", "/trail ", "/x excl", "/y value=5", "/z mode=777", "/n\nl", "/t\tt", "/nb\xc2\xa0sp", NULL,
    };
    for (int i = 0; names[i]; i++) {
        const char *name = names[i];
        printf("[%s]\n", name);
        sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0666, 2);
        int v = -1;
        printf("sem_open excl: %s", err(s == SEM_FAILED));
        if (s != SEM_FAILED) printf(" value %d", sem_getvalue(s, &v) < 0 ? -1 : v);
        printf("\nsem_open excl again: %s\n", err(sem_open(name, O_CREAT | O_EXCL, 0666, 2) == SEM_FAILED));
        sem_t *again = sem_open(name, O_CREAT, 0600, 5);
        printf("sem_open creat: %s same %d\n", err(again == SEM_FAILED), again == s);
        if (s != SEM_FAILED) printf("sem_trywait: %s\n", err(sem_trywait(s) < 0));
        printf("sem_unlink: %s\n", err(sem_unlink(name) < 0));
        printf("sem_open after unlink: %s\n", err(sem_open(name, 0) == SEM_FAILED));

        struct mq_attr attr = { .mq_maxmsg = 3, .mq_msgsize = 8 }, got = { 0 };
        mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
        printf("mq_open default: %s\n", err(q < 0));
        printf("mq_open attr, existing: %s\n", err(mq_open(name, O_CREAT | O_RDWR, 0600, &attr) < 0));
        printf("mq_open attr excl, existing: %s\n", err(mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr) < 0));
        printf("mq_unlink: %s\n", err(mq_unlink(name) < 0));
        q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        printf("mq_open attr: %s", err(q < 0));
        if (q >= 0) printf(" maxmsg %ld", mq_getattr(q, &got) < 0 ? -1L : got.mq_maxmsg);
        printf("\nmq_unlink: %s\n", err(mq_unlink(name) < 0));
    }
    return 0;
}
