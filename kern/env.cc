// Environments: allocation, address spaces, loading programs, running them.

#include <inc/assert.h>
#include <inc/elf.h>
#include <inc/error.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/cmdline.h>
#include <kern/elf.h>
#include <kern/env.h>
#include <kern/ipccall.h>
#include <kern/ipi.h>
#include <kern/lab.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/trace.h>

Env *envs;

namespace {

Env *env_free_list;
// Why the file-system server ended, for the line env_free prints (the
// first cause given to env_note_end).
char fs_end_reason[160];
constexpr int ENVGENSHIFT = 12;	// >= LOG2NENV

// Gives e a PML4: the kernel's half and the shared read-only windows
// (UPAGES, UENVS) from kern_pgdir, its own PML4 at UVPT, nothing below UTOP.
int
env_setup_vm(Env *e)
{
	// LAB 3 EXERCISE env_setup_vm BEGIN
	// A zeroed page for e's PML4 (-E_NO_MEM if none), counted (pp_ref),
	// in e->env_pgdir (its kernel address). The kernel's half and the
	// read-only windows above UTOP are the same in every address space:
	// copy kern_pgdir's entries from PML4X(UTOP) up. Nothing below UTOP
	// yet. Then UVPT: e's own PML4 there, user-readable (PTE_P | PTE_U,
	// not PTE_W), so that user code can read its own page tables.
	//> (void)e;
	//> lab_todo(3, "env_setup_vm (kern/env.cc)");
	PageInfo *p = page_alloc(ALLOC_ZERO);
	if (p == nullptr)
		return -E_NO_MEM;
	p->pp_ref++;
	e->env_pgdir = static_cast<pte_t *>(page2kva(p));
	for (uint64_t i = PML4X(UTOP); i < NPTENTRIES; i++)
		e->env_pgdir[i] = kern_pgdir[i];
	e->env_pgdir[PML4X(UVPT)] = PADDR(e->env_pgdir) | PTE_P | PTE_U | (kern_pgdir[PML4X(UVPT)] & PTE_NX);
	return 0;
	// LAB 3 EXERCISE env_setup_vm END
}

// Backs [va, va+len) in e's address space with zeroed pages, adding perm
// to pages already there (segments may share a page).
[[maybe_unused]] int
region_alloc(Env *e, uintptr_t va, size_t len, uint64_t perm)
{
	// LAB 3 EXERCISE region_alloc BEGIN
	// Every page that [va, va+len) touches (round va down, va+len up)
	// gets a zeroed page mapped user-accessible with perm (page_alloc,
	// page_insert; -E_NO_MEM, freeing the page, if either fails). Two ELF
	// segments may share a page: one already there stays, and gets PTE_W
	// if perm has it, and loses PTE_NX if perm lacks it.
	//> (void)e, (void)va, (void)len, (void)perm;
	//> lab_todo(3, "region_alloc (kern/env.cc)");
	for (uintptr_t p = ROUNDDOWN(va, PGSIZE); p < ROUNDUP(va + len, PGSIZE); p += PGSIZE) {
		pte_t *pte;
		PageInfo *pp = page_lookup(e->env_pgdir, p, &pte);
		if (pp != nullptr) {
			// A page two segments share: writable if either is,
			// executable if either is.
			if (perm & PTE_W)
				*pte |= PTE_W;
			if (!(perm & PTE_NX))
				*pte &= ~PTE_NX;
			continue;
		}
		pp = page_alloc(ALLOC_ZERO);
		if (pp == nullptr || page_insert(e->env_pgdir, pp, p, perm | PTE_U) < 0) {
			if (pp)
				page_free(pp);
			return -E_NO_MEM;
		}
	}
	return 0;
	// LAB 3 EXERCISE region_alloc END
}

// Copies len bytes from the kernel's src to va in e's address space,
// through the direct map (e's page tables need not be loaded).
[[maybe_unused]] void
copy_to_env(Env *e, uintptr_t va, const uint8_t *src, size_t len)
{
	while (len > 0) {
		PageInfo *pp = page_lookup(e->env_pgdir, va, nullptr);
		assert(pp != nullptr);
		size_t n = MIN<size_t>(len, PGSIZE - PGOFF(va));
		memcpy(static_cast<uint8_t *>(page2kva(pp)) + PGOFF(va), src, n);
		va += n, src += n, len -= n;
	}
}

// Loads a checked ELF image into e and sets up its stack and registers.
[[maybe_unused]] bool
load_icode(Env *e, const char *name, const uint8_t *binary, size_t size)
{
	ElfImage img;
	char err[128];
	if (!elf_check(binary, size, UTEXT, USTACKTOP - PGSIZE, &img, err, sizeof(err))) {
		cprintf("env_create: program %s: %s\n", name, err);
		return false;
	}
	// LAB 3 EXERCISE load_icode BEGIN
	// elf_check has checked the image and filled in img: its loadable
	// segments (img.segs[0 .. img.nsegs): va, memsz, file offset, filesz,
	// flags) and entry point. For each segment, back [va, va+memsz) with
	// user pages (region_alloc), writable if the segment is (PF_W), not
	// executable unless it is (PF_X; else PTE_NX), and copy its filesz
	// bytes from binary + offset there (copy_to_env: e's page tables need
	// not be loaded); the rest, the .bss, stays zero. Then one page of
	// stack below USTACKTOP, writable, not executable, and the entry point
	// in e's trap frame (tf_rip). Out of memory: say so (as above) and
	// return false.
	//> (void)e;
	//> lab_todo(3, "load_icode (kern/env.cc)");
	for (int i = 0; i < img.nsegs; i++) {
		const ElfSegment &s = img.segs[i];
		uint64_t perm = ((s.flags & PF_W) ? PTE_W : 0) | ((s.flags & PF_X) ? 0 : PTE_NX);
		if (region_alloc(e, s.va, s.memsz, perm) < 0) {
			cprintf("env_create: program %s: out of memory\n", name);
			return false;
		}
		copy_to_env(e, s.va, binary + s.offset, s.filesz);
	}
	// One page of stack, not executable.
	if (region_alloc(e, USTACKTOP - PGSIZE, PGSIZE, PTE_W | PTE_NX) < 0) {
		cprintf("env_create: program %s: out of memory\n", name);
		return false;
	}
	e->env_tf.tf_rip = img.entry;
	return true;
	// LAB 3 EXERCISE load_icode END
}

// Frees the page tables and pages of one PML4 entry's subtree.
void
free_subtree(pte_t *table, int level)
{
	for (int i = 0; i < NPTENTRIES; i++) {
		if (!(table[i] & PTE_P))
			continue;
		PageInfo *pp = pa2page(PTE_ADDR(table[i]));
		if (level > 1) {
			free_subtree(static_cast<pte_t *>(KADDR(PTE_ADDR(table[i]))), level - 1);
			pp->pp_ref = 0;		// a table: no one else points at it
			page_free(pp);
		} else {
			page_decref(pp);
		}
		table[i] = 0;
	}
}

} // namespace

void
user_program_names(char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (const UserProgram *p = user_programs; p->name && len < size; p++)
		len += snprintf(buf + len, static_cast<int>(size - len), "%s%s", len ? ", " : "", p->name);
}

// Marks every Env free and links them in order, so env_alloc hands out
// envs[0] first.
void
env_init()
{
	if (envs == nullptr)
		lab_todo(3, "the envs array (mem_init in kern/pmap.cc)");
	// LAB 3 EXERCISE env_init BEGIN
	// Every Env in envs[0 .. NENV) starts free: env_status ENV_FREE,
	// env_id 0, and on env_free_list (env_link), in order, so that the
	// first env_alloc hands out envs[0].
	//> lab_todo(3, "env_init (kern/env.cc)");
	env_free_list = nullptr;
	for (int i = NENV - 1; i >= 0; i--) {
		envs[i].env_id = 0;
		envs[i].env_status = ENV_FREE;
		envs[i].env_link = env_free_list;
		env_free_list = &envs[i];
	}
	// LAB 3 EXERCISE env_init END
}

int
env_alloc(Env **newenv_store, envid_t parent_id)
{
	Env *e = env_free_list;
	if (e == nullptr)
		return -E_NO_FREE_ENV;
	int r = env_setup_vm(e);
	if (r < 0)
		return r;

	// A new generation of this slot's ID; never negative or zero.
	int32_t generation = (e->env_id + (1 << ENVGENSHIFT)) & ~(NENV - 1);
	if (generation <= 0)
		generation = 1 << ENVGENSHIFT;
	e->env_id = generation | static_cast<int32_t>(e - envs);
	e->env_parent_id = parent_id;
	e->env_type = ENV_TYPE_USER;
	e->env_status = ENV_RUNNABLE;
	e->env_runs = 0;
	e->env_cpunum = -1;

	memset(&e->env_tf, 0, sizeof(e->env_tf));
	e->env_tf.tf_ss = GD_UD | 3;
	e->env_tf.tf_rsp = USTACKTOP;
	e->env_tf.tf_cs = GD_UT | 3;
	// User code runs with interrupts enabled, so that the timer can take
	// the CPU back from an environment that never enters the kernel; the
	// kernel runs with them disabled (every IDT gate is an interrupt gate).
	e->env_tf.tf_rflags = FL_IF;
	e->env_pgfault_upcall = 0;
	e->env_ipc_recving = false;
	e->env_ipc_recv_from = 0;
	e->env_ipc_call_to = 0;
	e->env_ipc_call_next = nullptr;
	e->env_ipc_callers = nullptr;
	e->env_cons_waiting = false;
	e->env_net_waiting = false;
	e->env_net_cpu = -1;
	e->env_wake_msec = 0;
	e->env_fault_rip = 0;
	e->env_fault_repeats = 0;

	env_free_list = e->env_link;
	*newenv_store = e;
	sched_wake_one();
	cprintf("[%08x] new env %08x\n", curenv ? curenv->env_id : 0, e->env_id);
	return 0;
}

const UserProgram *
user_program(const char *name)
{
	for (const UserProgram *p = user_programs; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return nullptr;
}

Env *
env_create(const char *name)
{
	const UserProgram *p = user_program(name);
	if (p == nullptr) {
		char known[256];
		user_program_names(known, sizeof(known));
		cprintf("env_create: no program '%s' (built-in: %s)\n", name, known);
		return nullptr;
	}
	Env *e = nullptr;
	// LAB 3 EXERCISE env_create BEGIN
	// A new environment (env_alloc, with no parent: 0) running the program
	// p: load_icode its image (p->image, p->size; free the environment if
	// that fails). Say why env_alloc failed (error_string) and return
	// nullptr then; else the new environment.
	//> lab_todo(3, "env_create (kern/env.cc)");
	int r = env_alloc(&e, 0);
	if (r < 0) {
		cprintf("env_create: program %s: %s\n", p->name, error_string(r));
		return nullptr;
	}
	if (!load_icode(e, p->name, p->image, p->size)) {
		env_free(e);
		return nullptr;
	}
	// LAB 3 EXERCISE env_create END
	EnvType type = (p->flags & PROG_FS_SERVER)   ? ENV_TYPE_FS
		       : (p->flags & PROG_NS_SERVER) ? ENV_TYPE_NS
						     : ENV_TYPE_USER;
	e->env_type = type;
	// LAB 5 EXERCISE iopl BEGIN
	// The file-system server drives the disk through its I/O ports, from
	// user mode. The CPU lets code at CPL 3 use I/O ports only when the
	// I/O privilege level in RFLAGS is 3 (the TSS has no I/O permission
	// bitmap): give the ENV_TYPE_FS environment IOPL 3 (FL_IOPL_3 in its
	// saved rflags), and no other environment.
	//> if (type == ENV_TYPE_FS)
	//> 	panic("env_create: the file-system server needs I/O privilege (LAB 5 exercise iopl)");
	if (type == ENV_TYPE_FS)
		e->env_tf.tf_rflags |= FL_IOPL_3;
	// LAB 5 EXERCISE iopl END
	return e;
}

// Gives e (just created, not yet run) the arguments argv[0 .. argc): the
// strings and the argv array at the top of its stack page, argc and argv
// in RDI and RSI, where lib/entry.S passes them to libmain (as spawn does
// for a child). False if they do not fit in half the page.
bool
env_set_args(Env *e, int argc, const char *const *argv)
{
	uintptr_t top = USTACKTOP, strings[8];
	if (argc > 8)
		return false;
	for (int i = argc - 1; i >= 0; i--) {
		size_t n = strlen(argv[i]) + 1;
		top -= n;
		if (top < USTACKTOP - PGSIZE / 2)
			return false;
		copy_to_env(e, top, reinterpret_cast<const uint8_t *>(argv[i]), n);
		strings[i] = top;
	}
	top = ROUNDDOWN(top, 8) - 8 * (argc + 1);
	uint64_t null = 0;
	copy_to_env(e, top, reinterpret_cast<const uint8_t *>(strings), 8 * argc);
	copy_to_env(e, top + 8 * argc, reinterpret_cast<const uint8_t *>(&null), 8);
	e->env_tf.tf_regs.reg_rdi = static_cast<uint64_t>(argc);
	e->env_tf.tf_regs.reg_rsi = top;
	e->env_tf.tf_rsp = ROUNDDOWN(top, 16);
	return true;
}

void
env_free(Env *e)
{
	// e's tables are about to go: make sure this CPU is not using them.
	// (No other CPU is: env_destroy evicted e from the one running it.)
	if (e == curenv || thiscpu->cpu_pgdir == e->env_pgdir)
		load_pgdir(kern_pgdir);
	cprintf("[%08x] free env %08x\n", curenv ? curenv->env_id : 0, e->env_id);

	for (uint64_t i = 0; i < PML4X(UTOP); i++) {
		if (!(e->env_pgdir[i] & PTE_P))
			continue;
		free_subtree(static_cast<pte_t *>(KADDR(PTE_ADDR(e->env_pgdir[i]))), 3);
		PageInfo *pp = pa2page(PTE_ADDR(e->env_pgdir[i]));
		pp->pp_ref = 0;
		page_free(pp);
		e->env_pgdir[i] = 0;
	}
	PageInfo *pml4 = pa2page(PADDR(e->env_pgdir));
	e->env_pgdir = nullptr;
	page_decref(pml4);

	// Calls waiting for e end with an error (kern/ipccall.h): for the
	// file-system server, every file operation in progress or to come
	// fails (the library says "no file-system server is running") instead
	// of waiting for an answer that cannot come.
	ipc_forget(e);
	e->env_status = ENV_FREE;
	e->env_link = env_free_list;
	env_free_list = e;
	if (e->env_type == ENV_TYPE_FS && !fs_end_reason[0] && e->env_tf.tf_trapno == T_BRKPT)
		env_note_end(e, "a breakpoint at ip %08lx (where a user panic stops)",
			     e->env_tf.tf_rip);
	if (e->env_type == ENV_TYPE_FS)
		cprintf("fs: the file-system server (env %08x) has ended: %s. Every file "
			"operation now fails with \"%s\"; the system goes on\n", e->env_id,
			fs_end_reason[0] ? fs_end_reason : "it was freed", error_string(-E_NO_FS));
}

void
env_note_end(Env *e, const char *fmt, ...)
{
	if (e->env_type != ENV_TYPE_FS || fs_end_reason[0])
		return;		// only the server's end is told, and its first cause
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fs_end_reason, sizeof(fs_end_reason), fmt, ap);
	va_end(ap);
}

Cpu *
env_cpu(const Env *e)
{
	if (e->env_cpunum < 0 || e->env_cpunum >= ncpu)
		return nullptr;
	Cpu *c = &cpus[e->env_cpunum];
	return c->cpu_env == e ? c : nullptr;
}

// Frees e now. If another CPU is running e, that CPU is made to stop first
// (cpu_evict, which waits for it however long it takes): freeing the page
// tables under a running environment would let it run on freed memory.
// Meanwhile e is ENV_DYING, so that nobody picks it up or destroys it again.
void
env_destroy(Env *e)
{
	if (e->env_status == ENV_DYING)
		return;
	Cpu *c = env_cpu(e);
	if (c != nullptr && c != thiscpu) {
		e->env_status = ENV_DYING;	// no CPU may pick it up again
		if (!cpu_evict(c, e))
			return;		// the kernel panicked: nothing more to do
	}
	env_free(e);
	if (curenv == e) {
		curenv = nullptr;
		if (!lab_smp()) {
			// JOS's lab 3: one environment, and it is gone.
			cprintf("Destroyed the only environment - nothing more to do!\n");
			lab_done(3, "mp_init (kern/smpboot.cc)");
		}
		sched_yield();
	}
}

// Converts an envid to an Env. With checkperm, the env must be the
// current one or its child. 0 means the current environment.
int
envid2env(envid_t envid, Env **env_store, bool checkperm)
{
	if (envid == 0) {
		*env_store = curenv;
		return 0;
	}
	Env *e = &envs[ENVX(envid)];
	if (e->env_status == ENV_FREE || e->env_id != envid ||
	    (checkperm && e != curenv && e->env_parent_id != curenv->env_id)) {
		*env_store = nullptr;
		return -E_BAD_ENV;
	}
	*env_store = e;
	return 0;
}

// Switches this CPU to e: its page tables, its registers, user mode. The
// big kernel lock is released last, just before leaving the kernel.
void
env_run(Env *e)
{
	// An environment runs on one CPU at a time: two would share its one
	// saved register set, and destroying it would evict only one.
	Cpu *other = env_cpu(e);
	if (other != nullptr && other != thiscpu)
		panic("env_run: environment %08x is already running on CPU %u", e->env_id,
		      other->cpu_id);
	if (e != curenv && e->env_status != ENV_RUNNABLE)
		panic("env_run: environment %08x is not runnable (status %d)", e->env_id,
		      e->env_status);
	if (!(e->env_tf.tf_rflags & FL_IF))
		panic("env_run: environment %08x would run with interrupts disabled: the timer "
		      "could never preempt it (FL_IF; LAB 4 exercise timer)", e->env_id);
	if (kargs.schedtrace && curenv != e)
		cprintf("sched: CPU %d runs %08x\n", cpunum(), e->env_id);
	if (curenv != e)
		trace(TraceKind::Run, e->env_id);
	// An environment that runs waits for nothing: a wait it left another
	// way (its parent's sys_env_set_status) must not wake it later, in the
	// middle of something else (a call it waits in, say).
	e->env_cons_waiting = e->env_net_waiting = false;
	e->env_wake_msec = 0;
	// LAB 3 EXERCISE env_run BEGIN
	// Switch this CPU to e. The environment it ran so far (curenv, if
	// another) stops running here: if it was ENV_RUNNING it becomes
	// ENV_RUNNABLE (and sched_wake_one() lets a halted CPU take it), and
	// it is on no CPU (env_cpunum -1). Then e is curenv: ENV_RUNNING, one
	// run more (env_runs), on this CPU (env_cpunum = cpunum()), and its
	// page tables are loaded (load_pgdir). The lines after this region
	// leave for user mode with e's registers.
	//> lab_todo(3, "env_run (kern/env.cc)");
	if (curenv && curenv != e) {
		if (curenv->env_status == ENV_RUNNING) {
			curenv->env_status = ENV_RUNNABLE;
			sched_wake_one();	// another CPU may take it
		}
		curenv->env_cpunum = -1;
	}
	curenv = e;
	e->env_status = ENV_RUNNING;
	e->env_runs++;
	e->env_cpunum = cpunum();
	load_pgdir(e->env_pgdir);
	// LAB 3 EXERCISE env_run END
	sched_arm_timeslice();
	// The big kernel lock goes just before user mode (lab 4; lab 3's one
	// environment runs without it).
	if (lab_smp())
		unlock_kernel();
	env_pop_tf(&e->env_tf);
}
