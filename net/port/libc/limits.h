/* <limits.h> for lwIP's freestanding build, from GCC's predefined macros
 * (GCC's own limits.h wants the C library's behind it). */
#ifndef SMPJOS_LWIP_LIMITS_H
#define SMPJOS_LWIP_LIMITS_H
#define CHAR_BIT	__CHAR_BIT__
#define SCHAR_MAX	__SCHAR_MAX__
#define SHRT_MAX	__SHRT_MAX__
#define INT_MAX		__INT_MAX__
#define INT_MIN		(-INT_MAX - 1)
#define UINT_MAX	(INT_MAX * 2U + 1U)
#define LONG_MAX	__LONG_MAX__
#define ULONG_MAX	(LONG_MAX * 2UL + 1UL)
#endif
