/* The scenario programs print errno by name (EINVAL, not 22): the same word from glibc's and from
 * libipcfs's build, so their outputs compare line for line; "0" for no error. */
#ifndef ERRNO_NAME_H
#define ERRNO_NAME_H
#include <string.h>

static inline const char *en(int e) {
    if (e == 0) return "0";
    const char *n = strerrorname_np(e);
    return n ? n : "?";
}
#endif
