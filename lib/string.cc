// Freestanding string and memory routines for the kernel and user programs.
// GCC may emit calls to memset/memcpy/memmove/memcmp on its own, so those
// four have C linkage. In host builds (HOST_BUILD) the C library's own
// versions serve instead, and only the functions it lacks come from here.

#include <inc/string.h>

#ifndef HOST_BUILD
// String instructions: one instruction for the whole range, which the CPU
// (and QEMU's TCG) execute far faster than a byte loop.
extern "C" void *
memset(void *dst, int c, size_t len)
{
	void *d = dst;
	if ((reinterpret_cast<uintptr_t>(dst) | len) % 8 == 0) {
		// Whole quadwords: an eighth of the iterations.
		uint64_t q = static_cast<uint8_t>(c) * 0x0101010101010101UL;
		size_t n = len / 8;
		asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(q) : "memory");
	} else {
		asm volatile("rep stosb" : "+D"(d), "+c"(len) : "a"(c) : "memory");
	}
	return dst;
}

extern "C" void *
memcpy(void *dst, const void *src, size_t len)
{
	return memmove(dst, src, len);
}

extern "C" void *
memmove(void *dst, const void *src, size_t len)
{
	auto *d = static_cast<unsigned char *>(dst);
	auto *s = static_cast<const unsigned char *>(src);
	if (s < d && s + len > d) {
		// Overlapping with the destination above: copy backwards.
		d += len - 1;
		s += len - 1;
		asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(len) : : "memory");
	} else {
		asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(len) : : "memory");
	}
	return dst;
}

extern "C" int
memcmp(const void *a, const void *b, size_t len)
{
	auto *p = static_cast<const unsigned char *>(a);
	auto *q = static_cast<const unsigned char *>(b);
	for (; len; len--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t
strnlen(const char *s, size_t size)
{
	size_t n = 0;
	while (n < size && s[n])
		n++;
	return n;
}

char *
strcpy(char *dst, const char *src)
{
	char *ret = dst;
	while ((*dst++ = *src++) != '\0')
		;
	return ret;
}

// Copies at most size-1 bytes and always terminates (when size > 0);
// returns strlen(src) so callers can detect truncation.
#endif

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size > 0) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

#ifndef HOST_BUILD
int
strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return static_cast<int>(static_cast<unsigned char>(*a)) -
	       static_cast<unsigned char>(*b);
}

int
strncmp(const char *a, const char *b, size_t size)
{
	while (size > 0 && *a && *a == *b)
		size--, a++, b++;
	if (size == 0)
		return 0;
	return static_cast<int>(static_cast<unsigned char>(*a)) -
	       static_cast<unsigned char>(*b);
}

char *
strchr(const char *s, char c)
{
	for (; *s; s++)
		if (*s == c)
			return const_cast<char *>(s);
	return nullptr;
}

#endif

const void *
memfind(const void *s, int c, size_t len)
{
	auto *p = static_cast<const unsigned char *>(s);
	for (; len; len--, p++)
		if (*p == static_cast<unsigned char>(c))
			return p;
	return p;
}

#ifndef HOST_BUILD
long
strtol(const char *s, char **endptr, int base)
{
	int neg = 0;
	long val = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '+')
		s++;
	else if (*s == '-')
		s++, neg = 1;

	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, base = 16;
	else if (base == 0 && s[0] == '0')
		s++, base = 8;
	else if (base == 0)
		base = 10;

	for (;; s++) {
		int dig;
		if (*s >= '0' && *s <= '9')
			dig = *s - '0';
		else if (*s >= 'a' && *s <= 'z')
			dig = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'Z')
			dig = *s - 'A' + 10;
		else
			break;
		if (dig >= base)
			break;
		val = val * base + dig;
	}
	if (endptr)
		*endptr = const_cast<char *>(s);
	return neg ? -val : val;
}

#endif

bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t base = 10, val = 0;
	size_t i = 0;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i == len)
		return false;
	for (; i < len; i++) {
		uint64_t dig;
		char c = s[i];
		if (c >= '0' && c <= '9')
			dig = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			dig = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			dig = c - 'A' + 10;
		else
			return false;
		if (val > (UINT64_MAX - dig) / base)
			return false;
		val = val * base + dig;
	}
	*out = val;
	return true;
}
