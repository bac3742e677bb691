// The user-level library: what every user program includes.
#pragma once

#include <inc/assert.h>
#include <inc/env.h>
#include <inc/error.h>
#include <inc/fd.h>
#include <inc/fs.h>
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
// This environment's page table, read-only, one window per level (see
// inc/memlayout.h): uvpt[va >> 12] is va's PTE, uvpd[va >> 21] its PDE,
// uvpdp[va >> 30] its PDPTE, uvpml4[va >> 39] its PML4E. An entry may be
// read only if the entries above it are present: reading a PTE whose page
// table does not exist faults.
#define uvpt ((const volatile pte_t *) UVPT)
#define uvpd ((const volatile pte_t *) UVPD)
#define uvpdp ((const volatile pte_t *) UVPDP)
#define uvpml4 ((const volatile pte_t *) UVPML4)

extern const char *binaryname;
extern const volatile Env *thisenv;

// What a program defines; libmain calls it.
void umain(int argc, char **argv);

// lib/printf.cc: cprintf for a stub's warning, which every environment
// that reaches the stub would repeat, perhaps in the middle of another's
// line: on lines of its own (the line in progress is printed again after
// it, whole), and only the first time any environment prints this text.
int cprintf_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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
int sys_env_set_pgfault_upcall(envid_t envid, void (*upcall)());
int sys_ipc_try_send(envid_t envid, uint32_t value, void *srcva, uint64_t perm);
int sys_ipc_recv(void *dstva);
// Lab 5: sets envid's registers (the caller's child, or itself) to *tf,
// which the kernel fixes up first: user mode, interrupts on, no I/O
// privilege.
int sys_env_set_trapframe(envid_t envid, const Trapframe *tf);
// Waits for a character of console input, blocking the caller until one
// arrives; 0 (at once) where console input cannot interrupt: poll then.
int sys_cgetc_wait();
// The reference counts of the pages mapped at a and at b, read at one
// instant (no other CPU changes a mapping in between): *ref_a, *ref_b.
int sys_page_refs(const void *a, const void *b, uint64_t *ref_a, uint64_t *ref_b);
// Whether envid maps at va the page this environment maps at myva: 1 if
// so, 0 if not, or an error (the file-system server checks a client's
// claim to an open file with it).
int sys_page_shared(envid_t envid, const void *va, const void *myva);
// Sends value (and the page at srcva with perm, if srcva is below UTOP)
// to envid, waiting in its queue until it receives, and then for its
// answer, which only envid may send: 0 once it came (in thisenv's
// env_ipc_* fields; its page, if any, at dstva), -E_BAD_ENV if envid does
// not exist or ends first. kern/ipccall.h says more.
int sys_ipc_call(envid_t envid, uint32_t value, void *srcva, uint64_t perm, void *dstva);
// Prints a notice (at most SYS_CPUTS_ONCE_MAX bytes) on lines of its own,
// without breaking the console's line in progress, unless some environment
// printed the same text this way before: see cprintf_once.
int sys_cputs_once(const char *s, size_t len);

// Lab 6. Milliseconds since the kernel started.
int64_t sys_time_msec();
// Sleeps until sys_time_msec() reaches msec (returns at once if it has).
int sys_sleep_until(uint64_t msec);
// Sends one Ethernet frame (without its CRC) of len bytes: 0, or
// -E_TX_FULL at once when the card's transmit ring is full.
int sys_net_try_send(const void *frame, size_t len);
// Takes the next received frame into buf: its length, or -E_RX_EMPTY at
// once when none has arrived.
int sys_net_try_recv(void *buf, size_t len);
// Waits until a frame has arrived (blocking; at once where the card cannot
// interrupt, and the caller polls).
int sys_net_wait();
// The network card's MAC address.
int sys_net_mac(uint8_t mac[6]);

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

// lib/dumbfork.cc: a child that is a copy of the caller's memory (JOS's
// dumbfork: every page copied, nothing shared). Returns the child's id to
// the parent and 0 to the child.
envid_t dumbfork();
// The same, but the child stays ENV_NOT_RUNNABLE until the parent makes it
// runnable (to give it something first, a shared page say).
envid_t dumbfork_stopped();

// lib/pgfault.cc: handler runs on the user exception stack for every page
// fault of this environment; returning resumes the faulting instruction.
void set_pgfault_handler(void (*handler)(UTrapframe *utf));
// lib/pfentry.S: where the kernel enters the environment on a page fault.
extern "C" void _pgfault_upcall();

// lib/fork.cc: a child sharing the caller's pages copy-on-write. Returns the
// child's id to the parent and 0 to the child.
envid_t fork();
// Sharing memory too (a challenge: not implemented).
envid_t sfork();

// lib/ipc.cc
// Waits for a message: returns its value, stores the sender (and the
// permissions of the page received at pg, if pg is not null) in the
// pointers that are not null. On an error, returns it and stores 0.
int32_t ipc_recv(envid_t *from_env_store, void *pg, uint64_t *perm_store);
// Sends val (and the page at pg with perm, if pg is not null) to to_env,
// waiting until it receives. Panics on any other error.
void ipc_send(envid_t to_env, uint32_t val, void *pg, uint64_t perm);
// The first environment of this type (ENV_TYPE_FS: the file-system
// server), or 0 if there is none.
envid_t ipc_find_env(EnvType type);
// A request and its answer, as a client calls a server: sends val (and
// the page at pg with perm, if pg is not null) to to_env and waits for
// to_env's answer, taking none from anyone else. Returns 0 with the
// answer's value in *answer (its page at dstpg, if dstpg is not null, and
// the page's permissions in *perm_store if that is not null), or the
// error that kept the call from being answered (-E_BAD_ENV: to_env does
// not exist, or ended first).
int ipc_call(envid_t to_env, uint32_t val, void *pg, uint64_t perm, void *dstpg, int32_t *answer,
	     uint64_t *perm_store);

// ---------------------------------------------------------------------------
// Lab 5: file descriptors, files, pipes, the console, spawn.

// lib/fd.cc
int fd2num(const Fd *fd);
// Finds the lowest-numbered free descriptor; *fd_store is its (unmapped)
// page. -E_MAX_OPEN if all MAXFD are in use.
int fd_alloc(Fd **fd_store);
// The Fd of an open descriptor, or -E_INVAL.
int fd_lookup(int fdnum, Fd **fd_store);
char *fd2data(const Fd *fd);
int fd_close(Fd *fd, bool must_exist);
int dev_lookup(int dev_id, Dev **dev_store);
int close(int fdnum);
void close_all();
ssize_t read(int fdnum, void *buf, size_t nbytes);
// Reads until n bytes or end of file.
ssize_t readn(int fdnum, void *buf, size_t nbytes);
ssize_t write(int fdnum, const void *buf, size_t nbytes);
int seek(int fdnum, off_t offset);
int ftruncate(int fdnum, off_t size);
// Makes newfdnum a duplicate of oldfdnum (closing newfdnum first).
int dup(int oldfdnum, int newfdnum);
int fstat(int fdnum, Stat *stat);
int stat(const char *path, Stat *stat);

// lib/file.cc
int open(const char *path, int mode);
int remove(const char *path);
int sync();

// lib/pageref.cc
// The PTE that maps va in this environment, or 0 if va (or a table above
// it) is not mapped.
pte_t vpte(uintptr_t va);
// How many page-table entries map the page at va (0 if it is not mapped).
int pageref(const void *va);

// lib/console.cc
// Opens the console as the lowest free descriptor.
int opencons();

// lib/pipe.cc
int pipe(int pipefds[2]);
// Whether the other end of the pipe is closed (true means end of file
// for a reader, a broken pipe for a writer).
bool pipeisclosed(int pipefd);

// lib/spawn.cc: starts the program at path with argv (null-terminated);
// returns the child's id.
envid_t spawn(const char *path, const char **argv);
// The same, with the arguments listed (the last one null).
envid_t spawnl(const char *path, const char *arg0, ...);

// lib/wait.cc: waits until environment envid has exited.
void wait(envid_t envid);

// lib/fprintf.cc: formatted output to a file descriptor.
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(int fd, const char *fmt, va_list ap);

// ---------------------------------------------------------------------------
// Lab 6: sockets, through the network server (lib/sockets.cc). A socket is
// a file descriptor: read, write and close work on it.
#include <inc/ns.h>

int socket(int domain, int type, int protocol);
int bind(int s, const struct sockaddr *name, socklen_t namelen);
int listen(int s, int backlog);
int accept(int s, struct sockaddr *addr, socklen_t *addrlen);
int connect(int s, const struct sockaddr *name, socklen_t namelen);
int shutdown(int s, int how);
// Reads up to len bytes (at least one, unless the other side closed: 0).
ssize_t recv(int s, void *buf, size_t len, int flags);
// Writes all len bytes, or fails.
ssize_t send(int s, const void *buf, size_t len, int flags);
// Parses a dotted IPv4 address ("10.0.2.2") into network byte order;
// INADDR_NONE if it is not one.
#define INADDR_NONE	0xFFFFFFFFU
in_addr_t inet_addr(const char *cp);

// lib/args.cc: JOS's argument scanner: single-letter flags (-x), with
// an optional value (-c value or -cvalue), until "--" or a non-flag.
struct Argstate {
	int *argc;
	const char **argv;
	const char *curarg;
	const char *argvalue;
};
void argstart(int *argc, char **argv, Argstate *args);
// The next flag letter, or -1 when there are no more; argv is left with
// the program name and the operands.
int argnext(Argstate *args);
// The flag's value, or nullptr.
const char *argvalue(Argstate *args);
