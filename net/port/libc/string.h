/* What lwIP's sources want of <string.h>, for a freestanding build: the
 * user library's routines (lib/string.cc; net/port/sys.cc gives those with
 * C++ names C ones). */
#ifndef SMPJOS_LWIP_STRING_H
#define SMPJOS_LWIP_STRING_H
#include <stddef.h>
void *memset(void *dst, int c, size_t len);
void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif
