/* lwIP's compiler and platform glue for the network server: a freestanding
 * x86_64 user environment (net/port/sys.cc defines what this names). */
#ifndef SMPJOS_ARCH_CC_H
#define SMPJOS_ARCH_CC_H

/* GCC's freestanding <stddef.h>, <stdint.h> and <limits.h> are there; no
 * <inttypes.h> or <ctype.h> (lwIP has its own character classes). */
#define LWIP_NO_INTTYPES_H		1
#define LWIP_NO_CTYPE_H			1
#define LWIP_NO_UNISTD_H		1
#define X8_F	"02x"
#define U16_F	"u"
#define S16_F	"d"
#define X16_F	"x"
#define U32_F	"u"
#define S32_F	"d"
#define X32_F	"x"
#define SZT_F	"lu"

#define BYTE_ORDER			LITTLE_ENDIAN
#define LWIP_ERR_T			int

#ifdef __cplusplus
extern "C" {
#endif
/* lwIP's heap (MEM_SIZE bytes and a little), which the core allocates. */
extern unsigned char *lwip_port_heap;
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
unsigned int lwip_port_rand(void);
#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x)		do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)		lwip_port_assert(x, __FILE__, __LINE__)
#define LWIP_RAND()			lwip_port_rand()

#endif
