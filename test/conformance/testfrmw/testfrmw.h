/*
 * The test framework 14 programs of the Open POSIX Test Suite include as "../testfrmw/testfrmw.h"
 * (and "../testfrmw/testfrmw.c"), which the shared copy of the suite lacks. Written here from the
 * interface the programs themselves document: UNRESOLVED(ret, descr), FAILED(descr), PASSED and
 * UNTESTED(descr) end the process with the suite's exit statuses (include/posixtest.h);
 * output_init(), output(fmt, ...) and output_fini() print. test/conformance/open-posix.ts puts
 * test/conformance/include on the include path, so "../testfrmw/" resolves to this directory.
 */
#ifndef IPCFS_TESTFRMW_H
#define IPCFS_TESTFRMW_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "posixtest.h"

void output_init(void);
void output(const char *fmt, ...);
void output_fini(void);

#define UNRESOLVED(ret, descr)                                                                  \
  do {                                                                                          \
    output("UNRESOLVED: %s (%d: %s) at %s:%d\n", (descr), (int)(ret), strerror((int)(ret)),   \
           __FILE__, __LINE__);                                                                 \
    output_fini();                                                                              \
    exit(PTS_UNRESOLVED);                                                                       \
  } while (0)

#define FAILED(descr)                                                                           \
  do {                                                                                          \
    output("FAILED: %s at %s:%d\n", (descr), __FILE__, __LINE__);                               \
    output_fini();                                                                              \
    exit(PTS_FAIL);                                                                             \
  } while (0)

#define PASSED                                                                                  \
  do {                                                                                          \
    output_fini();                                                                              \
    exit(PTS_PASS);                                                                             \
  } while (0)

#define UNTESTED(descr)                                                                         \
  do {                                                                                          \
    output("UNTESTED: %s at %s:%d\n", (descr), __FILE__, __LINE__);                             \
    output_fini();                                                                              \
    exit(PTS_UNTESTED);                                                                         \
  } while (0)

#endif
