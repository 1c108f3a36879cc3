/*
 * The conformance run's witness of calls the interposer lets through: preloaded after
 * libipcfs-preload.so (LD_PRELOAD="libipcfs-preload.so open-posix-spy.so"), it defines every IPC
 * function the interposer must serve. The dynamic linker binds a program's call to the first
 * definition in load order, so a call reaches this file only when libipcfs-preload.so does not
 * define that name: the call is logged (its name, once per process, to the file named by
 * IPCFS_CONFORMANCE_SPY) and forwarded to libc unchanged. A program that passes while some of its
 * IPC calls went to libc has not passed on ipcfs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static void logged(const char *name, int *once)
{
	/* no locks, no malloc: sem_post may be called from a signal handler */
	if (__atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
		return;
	const char *path = getenv("IPCFS_CONFORMANCE_SPY");
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	char line[64] = "libc ";
	strncat(line, name, sizeof line - 7);
	strcat(line, "\n");
	ssize_t ignored = write(fd, line, strlen(line));
	(void)ignored;
	close(fd);
}

/* the next definition (libc's), looked up once; its type is the header's declaration */
#define NEXT(name)                                               \
	static int once_##name;                                  \
	static __typeof__(name) *next_##name;                    \
	logged(#name, &once_##name);                             \
	if (!next_##name)                                        \
		*(void **)&next_##name = dlsym(RTLD_NEXT, #name)

/* a plain forward */
#define SPY(ret, name, params, args) \
	ret name params              \
	{                            \
		NEXT(name);          \
		return next_##name args; \
	}

SPY(int, sem_close, (sem_t *s), (s))
SPY(int, sem_unlink, (const char *n), (n))
SPY(int, sem_init, (sem_t *s, int p, unsigned v), (s, p, v))
SPY(int, sem_destroy, (sem_t *s), (s))
SPY(int, sem_post, (sem_t *s), (s))
SPY(int, sem_wait, (sem_t *s), (s))
SPY(int, sem_trywait, (sem_t *s), (s))
SPY(int, sem_timedwait, (sem_t *s, const struct timespec *t), (s, t))
SPY(int, sem_clockwait, (sem_t *s, clockid_t c, const struct timespec *t), (s, c, t))
SPY(int, sem_getvalue, (sem_t *s, int *v), (s, v))
SPY(int, mq_close, (mqd_t q), (q))
SPY(int, mq_unlink, (const char *n), (n))
SPY(int, mq_send, (mqd_t q, const char *m, size_t l, unsigned p), (q, m, l, p))
SPY(int, mq_timedsend, (mqd_t q, const char *m, size_t l, unsigned p, const struct timespec *t), (q, m, l, p, t))
SPY(ssize_t, mq_receive, (mqd_t q, char *m, size_t l, unsigned *p), (q, m, l, p))
SPY(ssize_t, mq_timedreceive, (mqd_t q, char *restrict m, size_t l, unsigned *restrict p, const struct timespec *restrict t), (q, m, l, p, t))
SPY(int, mq_getattr, (mqd_t q, struct mq_attr *a), (q, a))
SPY(int, mq_setattr, (mqd_t q, const struct mq_attr *restrict a, struct mq_attr *restrict o), (q, a, o))
SPY(int, mq_notify, (mqd_t q, const struct sigevent *e), (q, e))
SPY(int, shm_open, (const char *n, int f, mode_t m), (n, f, m))
SPY(int, shm_unlink, (const char *n), (n))
SPY(int, semget, (key_t k, int n, int f), (k, n, f))
SPY(int, semop, (int i, struct sembuf *o, size_t n), (i, o, n))
SPY(int, semtimedop, (int i, struct sembuf *o, size_t n, const struct timespec *t), (i, o, n, t))
SPY(int, msgget, (key_t k, int f), (k, f))
SPY(int, msgsnd, (int i, const void *m, size_t l, int f), (i, m, l, f))
SPY(ssize_t, msgrcv, (int i, void *m, size_t l, long t, int f), (i, m, l, t, f))
SPY(int, msgctl, (int i, int c, struct msqid_ds *b), (i, c, b))
SPY(int, shmget, (key_t k, size_t s, int f), (k, s, f))
SPY(void *, shmat, (int i, const void *a, int f), (i, a, f))
SPY(int, shmdt, (const void *a), (a))
SPY(int, shmctl, (int i, int c, struct shmid_ds *b), (i, c, b))

/* the variadic ones: the optional arguments are read only where the call takes them */
sem_t *sem_open(const char *n, int f, ...)
{
	NEXT(sem_open);
	if (!(f & O_CREAT))
		return next_sem_open(n, f);
	va_list ap;
	va_start(ap, f);
	mode_t m = va_arg(ap, mode_t);
	unsigned v = va_arg(ap, unsigned);
	va_end(ap);
	return next_sem_open(n, f, m, v);
}

mqd_t mq_open(const char *n, int f, ...)
{
	NEXT(mq_open);
	if (!(f & O_CREAT))
		return next_mq_open(n, f);
	va_list ap;
	va_start(ap, f);
	mode_t m = va_arg(ap, mode_t);
	struct mq_attr *a = va_arg(ap, struct mq_attr *);
	va_end(ap);
	return next_mq_open(n, f, m, a);
}

int semctl(int i, int n, int c, ...)
{
	NEXT(semctl);
	/* union semun is one pointer-sized word; when the command takes none, what is read is an
	 * unset register or stack slot on the ABIs this runs on (x86-64, aarch64), passed on unused */
	va_list ap;
	va_start(ap, c);
	unsigned long arg = va_arg(ap, unsigned long);
	va_end(ap);
	return next_semctl(i, n, c, arg);
}
