// Formatted output shared by kernel and user code.
#pragma once

#include <inc/stdarg.h>
#include <inc/types.h>

// lib/printfmt.cc
void printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap);
int snprintf(char *str, int size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *str, int size, const char *fmt, va_list ap);

#if !defined(HOST_BUILD) || defined(HOST_SIM)
// Provided by the kernel (kern/printf.cc), the user runtime, or a host
// simulator (grade/lapicsim).
int cprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vcprintf(const char *fmt, va_list ap);
#endif

#ifndef HOST_BUILD
// Provided by the kernel or the user runtime. (Host builds have the C
// library's getchar and no console.)
void cputchar(int c);
int getchar(void);
int iscons(int fd);

// lib/readline.cc
char *readline(const char *prompt);
#endif
