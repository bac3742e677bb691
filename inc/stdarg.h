// Variadic arguments through the compiler builtins (no hosted <cstdarg>).
#pragma once

#ifdef HOST_BUILD
#include <cstdarg>	// host tests: the same builtins, from the C library
#else
using va_list = __builtin_va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dst, src) __builtin_va_copy(dst, src)
#endif
