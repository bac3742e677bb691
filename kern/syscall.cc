// System calls. Every pointer and permission a user passes is checked
// before use: a bad one destroys the caller (JOS's user_mem_assert) or is
// refused with an E_* code; the kernel never faults on user input.

#include <inc/assert.h>
#include <inc/error.h>
#include <inc/string.h>
#include <kern/cmdline.h>
#include <kern/clock.h>
#include <kern/console.h>
#include <kern/e1000.h>
#include <kern/env.h>
#include <kern/ipccall.h>
#include <kern/ipi.h>
#include <kern/lab.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/printf.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>

namespace {

// The RFLAGS bits user code may set itself (popfq changes no others in
// user mode): CF, PF, AF, ZF, SF, TF, DF, OF, AC and ID.
constexpr uint64_t kUserFlags = 0x240DD5;

// Prints a string the user gave, after checking it is readable user memory
// (JOS: a bad pointer destroys the caller). At most SYS_CPUTS_MAX bytes
// (-E_INVAL): the big kernel lock is held while they print, and no caller
// may choose for how long. (The check itself walks at most the pages the
// caller mapped, each of which cost it a system call.)
[[maybe_unused]] int
sys_cputs(const char *s, size_t len)
{
	user_mem_assert(curenv, s, len, PTE_U);
	if (len > SYS_CPUTS_MAX)
		return -E_INVAL;
	if (kargs.crash == Crash::SysSmap && len > 0) {
		cprintf("crash: CPU %d reads the caller's buffer at %p directly (the caller's "
			"RFLAGS.AC is %s)\n", cpunum(), s,
			(curenv->env_tf.tf_rflags & FL_AC) ? "set" : "clear");
		(void)*reinterpret_cast<const volatile char *>(s);
	}
	char buf[128];
	ConsoleGuard guard;
	while (len > 0) {
		size_t n = MIN(len, sizeof(buf));
		copy_from_user(buf, s, n);
		cprintf("%.*s", static_cast<int>(n), buf);
		s += n, len -= n;
	}
	return 0;
}

// A user stub's notice (cprintf_once): on lines of its own, without
// breaking the line in progress (cprintf_aside), and once however many
// environments reach the stub (each has its own copy of any flag it could
// keep): a text printed before is not printed again. The texts are known
// by a hash, up to kNotices of them; past that, every one is printed.
int
sys_cputs_once(const char *s, size_t len)
{
	constexpr int kNotices = 32;
	static uint64_t seen[kNotices];
	static int nseen;
	user_mem_assert(curenv, s, len, PTE_U);
	if (len > SYS_CPUTS_ONCE_MAX)
		return -E_INVAL;
	char buf[SYS_CPUTS_ONCE_MAX];
	copy_from_user(buf, s, len);
	uint64_t hash = 14695981039346656037ULL;	// FNV-1a
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ static_cast<uint8_t>(buf[i])) * 1099511628211ULL;
	ConsoleGuard guard;	// seen[] too: lab 3 runs system calls without the kernel lock
	for (int i = 0; i < nseen; i++)
		if (seen[i] == hash)
			return 0;
	if (nseen < kNotices)
		seen[nseen++] = hash;
	cprintf_aside("%.*s", static_cast<int>(len), buf);
	return 0;
}

[[maybe_unused]] int
sys_cgetc()
{
	return cons_getc();
}

[[maybe_unused]] envid_t
sys_getenvid()
{
	return curenv->env_id;
}

[[maybe_unused]] int
sys_env_destroy(envid_t envid)
{
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	if (e->env_status == ENV_DYING)
		return -E_BAD_ENV;	// being destroyed already
	if (e == curenv) {
		cprintf("[%08x] exiting gracefully\n", curenv->env_id);
		env_note_end(e, "it exited");
	} else {
		cprintf("[%08x] destroying %08x\n", curenv->env_id, e->env_id);
		env_note_end(e, "env %08x destroyed it", curenv->env_id);
	}
	env_destroy(e);
	return 0;
}

[[maybe_unused]] [[noreturn]] void
sys_yield()
{
	sched_yield();
}

// A new environment with the caller's registers (RAX 0: it sees exofork
// return 0), no memory below UTOP, and not yet runnable.
[[maybe_unused]] envid_t
sys_exofork()
{
	// LAB 4 EXERCISE syscalls BEGIN
	// Allocate a new environment (env_alloc, with this one as its parent),
	// not runnable yet, with this environment's registers, except that it must
	// see exofork return 0: RAX in its trap frame. Return its env id, or the
	// error env_alloc returned.
	//> panic("sys_exofork: not implemented (LAB 4 exercise)");
	Env *e;
	int r = env_alloc(&e, curenv->env_id);
	if (r < 0)
		return r;
	e->env_status = ENV_NOT_RUNNABLE;
	e->env_tf = curenv->env_tf;
	e->env_tf.tf_regs.reg_rax = 0;
	return e->env_id;
	// LAB 4 EXERCISE syscalls END
}

[[maybe_unused]] int
sys_env_set_status(envid_t envid, int status)
{
	// LAB 4 EXERCISE syscalls BEGIN
	// Only ENV_RUNNABLE and ENV_NOT_RUNNABLE are allowed (-E_INVAL otherwise).
	// envid2env with checkperm: the caller may change itself or its children
	// (-E_BAD_ENV otherwise, and for one that is being destroyed, ENV_DYING).
	// An environment on a CPU (env_cpu) is ENV_RUNNING, not ENV_RUNNABLE:
	// marked runnable, a second CPU would pick it up while the first still
	// runs it. So "runnable" keeps it running there, and "not runnable"
	// takes effect when it next enters the kernel (cpu_kick hastens that).
	// A newly runnable environment: sched_wake_one(). One blocked in
	// sys_ipc_recv (env_ipc_recving) is not made runnable (-E_INVAL): only
	// a message may wake it, or it would go on half-way out of its
	// receive, and the sender would then make it runnable again while it
	// runs (two CPUs would run it).
	//> (void)envid, (void)status;
	//> panic("sys_env_set_status: not implemented (LAB 4 exercise)");
	if (status != ENV_RUNNABLE && status != ENV_NOT_RUNNABLE)
		return -E_INVAL;
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	if (e->env_status == ENV_DYING)
		return -E_BAD_ENV;
	if (status == ENV_RUNNABLE && e->env_ipc_recving)
		return -E_INVAL;
	if (Cpu *c = env_cpu(e)) {
		e->env_status = status == ENV_RUNNABLE ? ENV_RUNNING : ENV_NOT_RUNNABLE;
		if (status == ENV_NOT_RUNNABLE)
			cpu_kick(c);
		return 0;
	}
	e->env_status = status;
	if (status == ENV_RUNNABLE)
		sched_wake_one();
	return 0;
	// LAB 4 EXERCISE syscalls END
}

// A user page address: below UTOP and page aligned.
[[maybe_unused]] bool
bad_user_page(uint64_t va)
{
	return va >= UTOP || va % PGSIZE != 0;
}

// perm must have PTE_U and PTE_P and nothing outside PTE_SYSCALL (PTE_NX
// allowed: a user may ask for a page it cannot execute).
[[maybe_unused]] bool
bad_perm(uint64_t perm)
{
	return (perm & (PTE_U | PTE_P)) != (PTE_U | PTE_P) ||
	       (perm & ~(PTE_SYSCALL | PTE_NX)) != 0;
}

[[maybe_unused]] int
sys_page_alloc(envid_t envid, uint64_t va, uint64_t perm)
{
	// LAB 4 EXERCISE syscalls BEGIN
	// Map a zeroed page at va in envid's address space with perm. -E_INVAL if
	// va is not a page-aligned address below UTOP or perm is not allowed
	// (bad_user_page, bad_perm); -E_BAD_ENV as for sys_env_set_status;
	// -E_NO_MEM if there is no page or no room for page tables (free the page
	// if page_insert fails).
	//> (void)envid, (void)va, (void)perm;
	//> panic("sys_page_alloc: not implemented (LAB 4 exercise)");
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	if (bad_user_page(va) || bad_perm(perm))
		return -E_INVAL;
	PageInfo *pp = page_alloc(ALLOC_ZERO);
	if (pp == nullptr)
		return -E_NO_MEM;
	r = page_insert(e->env_pgdir, pp, va, perm);
	if (r < 0) {
		page_free(pp);
		return r;
	}
	return 0;
	// LAB 4 EXERCISE syscalls END
}

[[maybe_unused]] int
sys_page_map(envid_t srcenvid, uint64_t srcva, envid_t dstenvid, uint64_t dstva, uint64_t perm)
{
	// LAB 4 EXERCISE syscalls BEGIN
	// Map the page at srcva in srcenvid's address space at dstva in dstenvid's,
	// with perm. -E_BAD_ENV, -E_INVAL as above, and -E_INVAL if srcva is not
	// mapped or perm asks for PTE_W on a page srcenvid may only read.
	//> (void)srcenvid, (void)srcva, (void)dstenvid, (void)dstva, (void)perm;
	//> panic("sys_page_map: not implemented (LAB 4 exercise)");
	Env *src, *dst;
	int r;
	if ((r = envid2env(srcenvid, &src, true)) < 0 || (r = envid2env(dstenvid, &dst, true)) < 0)
		return r;
	if (bad_user_page(srcva) || bad_user_page(dstva) || bad_perm(perm))
		return -E_INVAL;
	pte_t *pte;
	PageInfo *pp = page_lookup(src->env_pgdir, srcva, &pte);
	if (pp == nullptr || ((perm & PTE_W) && !(*pte & PTE_W)))
		return -E_INVAL;
	return page_insert(dst->env_pgdir, pp, dstva, perm);
	// LAB 4 EXERCISE syscalls END
}

[[maybe_unused]] int
sys_page_unmap(envid_t envid, uint64_t va)
{
	// LAB 4 EXERCISE syscalls BEGIN
	// Unmap the page at va in envid's address space (nothing there: not an
	// error). -E_BAD_ENV, -E_INVAL as above.
	//> (void)envid, (void)va;
	//> panic("sys_page_unmap: not implemented (LAB 4 exercise)");
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	if (bad_user_page(va))
		return -E_INVAL;
	page_remove(e->env_pgdir, va);
	return 0;
	// LAB 4 EXERCISE syscalls END
}

[[maybe_unused]] int
sys_env_set_pgfault_upcall(envid_t envid, uint64_t func)
{
	// LAB 4 EXERCISE pgfault_upcall BEGIN
	// Record func as envid's page-fault upcall (env_pgfault_upcall), which
	// page_fault_handler enters on the user exception stack. envid2env
	// with checkperm (-E_BAD_ENV otherwise). func need not be valid now:
	// page_fault_handler checks it when it uses it.
	//> (void)envid, (void)func;
	//> panic("sys_env_set_pgfault_upcall: not implemented (LAB 4 exercise)");
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	e->env_pgfault_upcall = func;
	return 0;
	// LAB 4 EXERCISE pgfault_upcall END
}

// Sends value (and, if srcva is below UTOP, the page there with perm) to
// envid, if it is blocked in sys_ipc_recv; -E_IPC_NOT_RECV if it is not.
[[maybe_unused]] int
sys_ipc_try_send(envid_t envid, uint32_t value, uint64_t srcva, uint64_t perm)
{
	// LAB 4 EXERCISE ipc BEGIN
	// JOS's rules: any environment may send to any other (envid2env without
	// checkperm; -E_BAD_ENV). The target must be receiving: blocked in
	// sys_ipc_recv (env_ipc_recving, and ENV_NOT_RUNNABLE; -E_IPC_NOT_RECV). A page is sent only if srcva
	// < UTOP and the receiver asked for one (env_ipc_dstva < UTOP); srcva
	// must then be page aligned and mapped, perm allowed (bad_perm), and
	// PTE_W only if srcva is writable for the sender (-E_INVAL);
	// page_insert may run out of memory (-E_NO_MEM). On success: the
	// receiver's env_ipc_* fields (env_ipc_perm 0 if no page moved), its
	// sys_ipc_recv returns 0 (RAX in its trap frame), it is runnable, and
	// a halted CPU is woken for it (sched_wake_one).
	//> (void)envid, (void)value, (void)srcva, (void)perm;
	//> panic("sys_ipc_try_send: not implemented (LAB 4 exercise)");
	Env *e;
	int r = envid2env(envid, &e, false);
	if (r < 0)
		return r;
	if (!e->env_ipc_recving || e->env_status != ENV_NOT_RUNNABLE)
		return -E_IPC_NOT_RECV;
	uint64_t sent_perm = 0;
	if (srcva < UTOP) {
		pte_t *pte;
		PageInfo *pp = page_lookup(curenv->env_pgdir, srcva, &pte);
		if (srcva % PGSIZE != 0 || bad_perm(perm) || pp == nullptr ||
		    ((perm & PTE_W) && !(*pte & PTE_W)))
			return -E_INVAL;
		if (e->env_ipc_dstva < UTOP) {
			if ((r = page_insert(e->env_pgdir, pp, e->env_ipc_dstva, perm)) < 0)
				return r;
			sent_perm = perm;
		}
	}
	e->env_ipc_recving = false;
	e->env_ipc_from = curenv->env_id;
	e->env_ipc_value = value;
	e->env_ipc_perm = sent_perm;
	e->env_tf.tf_regs.reg_rax = 0;
	e->env_status = ENV_RUNNABLE;
	sched_wake_one();
	return 0;
	// LAB 4 EXERCISE ipc END
}

// Blocks until a value arrives (and a page at dstva, if dstva < UTOP).
[[maybe_unused]] int
sys_ipc_recv(uint64_t dstva)
{
	// LAB 4 EXERCISE ipc BEGIN
	// -E_INVAL if dstva < UTOP is not page aligned. Otherwise record that
	// this environment is receiving, and where a page should go; make it
	// not runnable and give up the CPU (sched_yield). It resumes when a
	// sender has filled in its env_ipc_* fields and made it runnable.
	//> (void)dstva;
	//> panic("sys_ipc_recv: not implemented (LAB 4 exercise)");
	if (dstva < UTOP && dstva % PGSIZE != 0)
		return -E_INVAL;
	curenv->env_ipc_recving = true;
	curenv->env_ipc_dstva = dstva;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
	// LAB 4 EXERCISE ipc END
}

// Sets envid's registers (the caller's or its child's) to the Trapframe at
// tfva. What could give user code privilege is not taken from it: the
// segments are the user's, interrupts are on, the I/O privilege level is 0
// (not even the file-system server keeps IOPL 3 through this call), and
// rip and rsp must be user addresses (iretq to a non-canonical address
// would fault in the kernel).
[[maybe_unused]] int
sys_env_set_trapframe(envid_t envid, uint64_t tfva)
{
	// LAB 5 EXERCISE env_set_trapframe BEGIN
	// envid2env with checkperm (-E_BAD_ENV). The frame must be memory the
	// caller may read (user_mem_assert, then copy_from_user: the kernel
	// must not read user memory in place under SMAP). -E_INVAL if its rip
	// or rsp is not below ULIM. Store it with the user's code and stack
	// segments (GD_UT | 3, GD_UD | 3) and with rflags limited to the flags
	// user code may set (kUserFlags), plus FL_IF.
	//> (void)envid, (void)tfva;
	//> panic("sys_env_set_trapframe: not implemented (LAB 5 exercise env_set_trapframe)");
	Env *e;
	int r = envid2env(envid, &e, true);
	if (r < 0)
		return r;
	auto *utf = reinterpret_cast<const Trapframe *>(tfva);
	user_mem_assert(curenv, utf, sizeof(*utf), PTE_U);
	Trapframe tf;
	copy_from_user(&tf, utf, sizeof(tf));
	if (tf.tf_rip >= ULIM || tf.tf_rsp >= ULIM)
		return -E_INVAL;
	tf.tf_cs = GD_UT | 3;
	tf.tf_ss = GD_UD | 3;
	tf.tf_rflags = (tf.tf_rflags & kUserFlags) | FL_IF;
	tf.tf_trapno = 0;
	tf.tf_err = 0;
	e->env_tf = tf;
	return 0;
	// LAB 5 EXERCISE env_set_trapframe END
}

// The next console input character, waiting for one: the caller blocks
// until a console interrupt brings input (cons_wake_waiters gives it the
// character, in RAX). Where no console interrupt can come (no I/O APIC
// route), it returns 0 at once, and the caller must poll, as JOS's did.
[[maybe_unused]] int
sys_cgetc_wait()
{
	int c = cons_getc();
	if (c != 0 || !cons_interrupts_on())
		return c;
	curenv->env_cons_waiting = true;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
}

// The reference counts of the pages mapped at a and b in the caller's
// address space (0 for a page not mapped), at one instant: under the big
// kernel lock no mapping changes while both are read. Stored in out[0]
// and out[1], whole (a pipe end's count may pass any fixed width: a
// count cut to 16 bits would make 65537 mappings look like 1).
[[maybe_unused]] int
sys_page_refs(uint64_t a, uint64_t b, uint64_t outva)
{
	if (a >= UTOP || b >= UTOP)
		return -E_INVAL;
	auto *out = reinterpret_cast<uint64_t *>(outva);
	user_mem_assert(curenv, out, 2 * sizeof(uint64_t), PTE_U | PTE_W);
	PageInfo *pa = page_lookup(curenv->env_pgdir, ROUNDDOWN(a, PGSIZE), nullptr);
	PageInfo *pb = page_lookup(curenv->env_pgdir, ROUNDDOWN(b, PGSIZE), nullptr);
	uint64_t refs[2] = {pa ? pa->pp_ref : 0, pb ? pb->pp_ref : 0};
	copy_to_user(out, refs, sizeof(refs));
	return 0;
}

// Whether envid maps, at va, the page the caller maps at myva: 1 if it
// does, 0 if not (or nothing is mapped at myva). The file-system server
// asks it of every request on an open file: a client may use an open file
// only if it maps the file's Fd page, which only open, fork, spawn or
// another PTE_SHARE mapping gives it. It tells the caller nothing about a
// page it does not map itself.
[[maybe_unused]] int
sys_page_shared(envid_t envid, uint64_t va, uint64_t myva)
{
	Env *e;
	int r = envid2env(envid, &e, false);
	if (r < 0)
		return r;
	if (va >= UTOP || myva >= UTOP)
		return -E_INVAL;
	PageInfo *mine = page_lookup(curenv->env_pgdir, ROUNDDOWN(myva, PGSIZE), nullptr);
	if (mine == nullptr)
		return 0;
	return page_lookup(e->env_pgdir, ROUNDDOWN(va, PGSIZE), nullptr) == mine;
}

// Lab 6. Milliseconds since the kernel started (JOS's sys_time_msec).
[[maybe_unused]] int64_t
sys_time_msec()
{
	// LAB 6 EXERCISE time_msec BEGIN
	// time_msec() (kern/clock.cc) has the answer.
	//> panic("sys_time_msec: not implemented (LAB 6 exercise time_msec)");
	return static_cast<int64_t>(time_msec());
	// LAB 6 EXERCISE time_msec END
}

// Sleeps until time_msec() reaches msec (at once if it has): the caller is
// not runnable meanwhile, and the scheduler wakes it (sched_wake_sleepers).
[[maybe_unused]] int
sys_sleep_until(uint64_t msec)
{
	if (time_msec() >= msec)
		return 0;
	curenv->env_wake_msec = msec;
	sched_sleepers = true;
	curenv->env_tf.tf_regs.reg_rax = 0;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
}

// Sends the frame of len bytes at va: 0, or -E_TX_FULL at once when the
// card's transmit ring is full (the caller tries again), -E_INVAL for a
// bad length, -E_NO_NIC without a card. A bad pointer destroys the caller.
[[maybe_unused]] int
sys_net_try_send(uint64_t va, size_t len)
{
	// LAB 6 EXERCISE transmit BEGIN
	// Check the buffer (user_mem_assert: the caller must be able to read
	// it) and the length (at most kMaxFrame: -E_INVAL), copy it into the
	// kernel (copy_from_user: SMAP forbids reading user memory in place),
	// and hand it to e1000_transmit.
	//> (void)va, (void)len;
	//> panic("sys_net_try_send: not implemented (LAB 6 exercise transmit)");
	user_mem_assert(curenv, reinterpret_cast<const void *>(va), len, PTE_U);
	if (len == 0 || len > kMaxFrame)
		return -E_INVAL;
	uint8_t frame[kMaxFrame];
	copy_from_user(frame, reinterpret_cast<const void *>(va), len);
	return e1000_transmit(frame, len);
	// LAB 6 EXERCISE transmit END
}

// Takes the next received frame into the len bytes at va: its length, or
// -E_RX_EMPTY at once when none has arrived, -E_INVAL if it does not fit,
// -E_NO_NIC. A bad pointer destroys the caller.
[[maybe_unused]] int
sys_net_try_recv(uint64_t va, size_t len)
{
	// LAB 6 EXERCISE receive BEGIN
	// Check that the caller may write the buffer (PTE_U | PTE_W), receive
	// into a kernel buffer with e1000_receive, and copy what came to the
	// caller (copy_to_user).
	//> (void)va, (void)len;
	//> panic("sys_net_try_recv: not implemented (LAB 6 exercise receive)");
	user_mem_assert(curenv, reinterpret_cast<const void *>(va), len, PTE_U | PTE_W);
	uint8_t frame[kMaxFrame];
	int r = e1000_receive(frame, MIN(len, sizeof(frame)));
	if (r > 0)
		copy_to_user(reinterpret_cast<void *>(va), frame, static_cast<size_t>(r));
	return r;
	// LAB 6 EXERCISE receive END
}

// Waits for a received frame: returns at once if one is waiting, or where
// the card cannot interrupt (the caller polls, yielding); else the caller
// blocks until the card's interrupt, which is sent to this CPU meanwhile,
// so that the receiver is woken where it runs.
[[maybe_unused]] int
sys_net_wait()
{
	if (!e1000_can_receive())
		return -E_NO_NIC;
	if (e1000_rx_ready() || !e1000_interrupts_on())
		return 0;
	e1000_interrupt_to(thiscpu->apic_id);
	curenv->env_net_waiting = true;
	curenv->env_net_cpu = cpunum();
	curenv->env_tf.tf_regs.reg_rax = 0;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
}

// The card's MAC address, into the 6 bytes at va.
[[maybe_unused]] int
sys_net_mac(uint64_t va)
{
	user_mem_assert(curenv, reinterpret_cast<const void *>(va), 6, PTE_U | PTE_W);
	if (!e1000_present())
		return -E_NO_NIC;
	uint8_t mac[6];
	e1000_mac(mac);
	copy_to_user(reinterpret_cast<void *>(va), mac, sizeof(mac));
	return 0;
}

} // namespace

void
net_wake_waiters()
{
	assert(kernel_lock.holding());
	if (!e1000_rx_arrived())
		return;
	for (int i = 0; i < NENV; i++) {
		Env *e = &envs[i];
		if (!e->env_net_waiting || e->env_status != ENV_NOT_RUNNABLE)
			continue;
		e->env_net_waiting = false;
		e->env_status = ENV_RUNNABLE;
		// On the CPU it waited on, where the card's interrupt went: if
		// that is this one and it has no environment (it was halted), it
		// is about to look for work; if it is another, halted one, wake
		// it. Otherwise its CPU is busy: any halted CPU may take it.
		int cpu = e->env_net_cpu;
		bool here = cpu >= 0 && cpu < ncpu && &cpus[cpu] == thiscpu;
		if (here && curenv == nullptr)
			continue;
		if (!here && cpu >= 0 && cpu < ncpu &&
		    cpus[cpu].cpu_status.load(MemoryOrder::acquire) == CPU_HALTED)
			lapic_send_ipi(cpus[cpu].apic_id, T_IPI_WAKEUP);
		else
			sched_wake_one();
	}
}

void
cons_wake_waiters()
{
	assert(kernel_lock.holding());
	if (!cons_input_arrived())
		return;
	for (int i = 0; i < NENV; i++) {
		Env *e = &envs[i];
		if (!e->env_cons_waiting || e->env_status != ENV_NOT_RUNNABLE)
			continue;
		int c = cons_getc();
		if (c == 0)
			return;		// the rest keep waiting for the next interrupt
		e->env_cons_waiting = false;
		e->env_tf.tf_regs.reg_rax = static_cast<uint64_t>(c);
		e->env_status = ENV_RUNNABLE;
		sched_wake_one();
	}
}

int64_t
syscall(uint64_t num, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;	// a stub may use none
	// Lab 5's console, pipe, file-server and IPC-call system calls, and
	// stubs' notices (given), and what they add to lab 4's IPC: a receive
	// takes a call that waits for it, and an environment waiting for the
	// answer to its call takes it only from the one it called
	// (kern/ipccall.h).
	switch (num) {
	case SYS_cgetc_wait:
		return sys_cgetc_wait();
	case SYS_page_refs:
		return sys_page_refs(a1, a2, a3);
	case SYS_cputs_once:
		return sys_cputs_once(reinterpret_cast<const char *>(a1), a2);
	case SYS_page_shared:
		return sys_page_shared(static_cast<envid_t>(a1), a2, a3);
	case SYS_ipc_call:
		return ipc_call(static_cast<envid_t>(a1), static_cast<uint32_t>(a2), a3, a4, a5);
	case SYS_ipc_recv:
		if ((a1 >= UTOP || a1 % PGSIZE == 0) && ipc_take_call(a1))
			return 0;
		break;		// nobody is calling: lab 4's receive
	case SYS_ipc_try_send: {
		Env *e;
		if (envid2env(static_cast<envid_t>(a1), &e, false) != 0)
			break;
		// A sender is never receiving: a send to itself (envid 0 names
		// the caller) would be retried for ever. ipc_send says so.
		if (e == curenv)
			return -E_INVAL;
		if (e->env_ipc_recving && ipc_refuses(e, curenv))
			return -E_IPC_NOT_RECV;
		break;
	}
	// Lab 6's waits and the card's address (given).
	case SYS_sleep_until:
		return sys_sleep_until(a1);
	case SYS_net_wait:
		return sys_net_wait();
	case SYS_net_mac:
		return sys_net_mac(a1);
	default:
		break;
	}
	switch (num) {
	// LAB 3 EXERCISE syscall_dispatch BEGIN
	// One case per system call number (inc/syscall.h): call its sys_*
	// function with the arguments it takes, converted to its types, and
	// return what it returns. Lab 3's: cputs, cgetc, getenvid and
	// env_destroy; labs 4 and 5 add theirs here. An unknown number is
	// -E_INVAL.
	//> default:
	//> 	lab_todo(3, "syscall (kern/syscall.cc)");
	case SYS_cputs:
		return sys_cputs(reinterpret_cast<const char *>(a1), a2);
	case SYS_cgetc:
		return sys_cgetc();
	case SYS_getenvid:
		return sys_getenvid();
	case SYS_env_destroy:
		return sys_env_destroy(static_cast<envid_t>(a1));
	// LAB 4 EXERCISE sched_yield BEGIN
	// Giving up the CPU: sys_yield, which does not return.
	case SYS_yield:
		sys_yield();
	// LAB 4 EXERCISE sched_yield END
	// LAB 4 EXERCISE syscalls BEGIN
	// Lab 4 part A's other system calls: exofork, env_set_status,
	// page_alloc, page_map, page_unmap.
	case SYS_exofork:
		return sys_exofork();
	case SYS_env_set_status:
		return sys_env_set_status(static_cast<envid_t>(a1), static_cast<int>(a2));
	case SYS_page_alloc:
		return sys_page_alloc(static_cast<envid_t>(a1), a2, a3);
	case SYS_page_map:
		return sys_page_map(static_cast<envid_t>(a1), a2, static_cast<envid_t>(a3), a4, a5);
	case SYS_page_unmap:
		return sys_page_unmap(static_cast<envid_t>(a1), a2);
	// LAB 4 EXERCISE syscalls END
	// LAB 4 EXERCISE pgfault_upcall BEGIN
	case SYS_env_set_pgfault_upcall:
		return sys_env_set_pgfault_upcall(static_cast<envid_t>(a1), a2);
	// LAB 4 EXERCISE pgfault_upcall END
	// LAB 4 EXERCISE ipc BEGIN
	case SYS_ipc_try_send:
		return sys_ipc_try_send(static_cast<envid_t>(a1), static_cast<uint32_t>(a2), a3, a4);
	case SYS_ipc_recv:
		return sys_ipc_recv(a1);
	// LAB 4 EXERCISE ipc END
	// LAB 5 EXERCISE env_set_trapframe BEGIN
	case SYS_env_set_trapframe:
		return sys_env_set_trapframe(static_cast<envid_t>(a1), a2);
	// LAB 5 EXERCISE env_set_trapframe END
	// LAB 6 EXERCISE time_msec BEGIN
	case SYS_time_msec:
		return sys_time_msec();
	// LAB 6 EXERCISE time_msec END
	// LAB 6 EXERCISE transmit BEGIN
	case SYS_net_try_send:
		return sys_net_try_send(a1, a2);
	// LAB 6 EXERCISE transmit END
	// LAB 6 EXERCISE receive BEGIN
	case SYS_net_try_recv:
		return sys_net_try_recv(a1, a2);
	// LAB 6 EXERCISE receive END
	default:
		return -E_INVAL;
	// LAB 3 EXERCISE syscall_dispatch END
	}
}
