// The C library functions lwIP's sources call that the user library does
// not give C names (net/port/libc/string.h, stdlib.h declare them). Kept
// apart from inc/string.h, whose C++ declarations of the same names would
// clash.

#include <stddef.h>

extern "C" size_t
strlen(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0')
		n++;
	return n;
}

extern "C" int
strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i] || a[i] == '\0')
			return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
	}
	return 0;
}

extern "C" int
strcmp(const char *a, const char *b)
{
	return strncmp(a, b, static_cast<size_t>(-1));
}

extern "C" int
atoi(const char *s)
{
	int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}
