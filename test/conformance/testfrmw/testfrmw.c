/* The output half of testfrmw.h (see there): included by the programs themselves, once each. */
#include <stdarg.h>
#include <stdio.h>

void output_init(void) { setvbuf(stdout, NULL, _IONBF, 0); }

void output(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

void output_fini(void) { fflush(stdout); }
