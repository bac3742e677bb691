/* What lwIP's sources want of <stdlib.h>, for a freestanding build. */
#ifndef SMPJOS_LWIP_STDLIB_H
#define SMPJOS_LWIP_STDLIB_H
#include <stddef.h>
int atoi(const char *s);
#endif
