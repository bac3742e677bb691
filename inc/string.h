// Freestanding string and memory routines (lib/string.cc).
#pragma once

#include <inc/types.h>

#ifdef HOST_BUILD
// Host tests and fuzzers use the C library's versions (which the
// sanitizers check); lib/string.cc then supplies only the rest.
#include <cstdlib>
#include <cstring>
#else
extern "C" {
void *memset(void *dst, int c, size_t len);
void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
}

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t size);
char *strcpy(char *dst, const char *src);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t size);
char *strchr(const char *s, char c);
long strtol(const char *s, char **endptr, int base);
#endif

size_t strlcpy(char *dst, const char *src, size_t size);
const void *memfind(const void *s, int c, size_t len);
// Parses an unsigned decimal or 0x-prefixed hexadecimal number that fills
// s[0..len) exactly; returns false on anything else, including overflow.
bool parse_u64(const char *s, size_t len, uint64_t *out);
