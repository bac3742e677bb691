// The user-level library: what every user program includes.
#pragma once

#include <inc/assert.h>
#include <inc/env.h>
#include <inc/error.h>
#include <inc/memlayout.h>
#include <inc/stdarg.h>
#include <inc/stdio.h>
#include <inc/string.h>
#include <inc/syscall.h>
#include <inc/trap.h>
#include <inc/types.h>

// The read-only windows the kernel maps into every environment. Macros,
// not symbols: user code is built for the small code model (everything
// below 2 GiB), and these live near the top of user space.
#define envs ((const volatile Env *) UENVS)
#define pages ((const volatile PageInfo *) UPAGES)

extern const char *binaryname;
extern const volatile Env *thisenv;

// What a program defines; libmain calls it.
void umain(int argc, char **argv);

// lib/exit.cc
[[noreturn]] void exit();

// lib/syscall.cc
void sys_cputs(const char *string, size_t len);
int sys_cgetc();
envid_t sys_getenvid();
int sys_env_destroy(envid_t envid);
void sys_yield();
int sys_env_set_status(envid_t envid, int status);
int sys_page_alloc(envid_t envid, void *va, uint64_t perm);
int sys_page_map(envid_t srcenv, void *srcva, envid_t dstenv, void *dstva, uint64_t perm);
int sys_page_unmap(envid_t envid, void *va);

// Must be inlined: the child starts right after the int instruction with
// the parent's registers but not yet its memory, so it must not depend on
// a stack frame that the parent keeps using (JOS's exercise for the
// reader).
static inline envid_t __attribute__((always_inline))
sys_exofork()
{
	envid_t ret;
	asm volatile("int %2" : "=a"(ret) : "a"(SYS_exofork), "i"(T_SYSCALL) : "memory");
	return ret;
}

// lib/fork.cc: a child that is a copy of the caller's memory (JOS's
// dumbfork: every page copied, nothing shared). Returns the child's id to
// the parent and 0 to the child.
envid_t dumbfork();
// The same, but the child stays ENV_NOT_RUNNABLE until the parent makes it
// runnable (to give it something first, a shared page say).
envid_t dumbfork_stopped();
