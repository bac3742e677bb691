// The scheduler: round robin over envs[], one environment per CPU at a
// time, under the big kernel lock.

#include <inc/assert.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/e1000.h>
#include <kern/env.h>
#include <kern/exit.h>
#include <kern/lapic.h>
#include <kern/monitor.h>
#include <kern/pmap.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/syscall.h>
#include <kern/trace.h>

namespace {

// A CPU in user mode is preempted after this long. A halted CPU sleeps
// until sched_wake_one's IPI, or this long as a safety net: idle CPUs
// that poll often fight the busy ones for the big kernel lock.
constexpr uint64_t kTimeSliceUs = 10000;
constexpr uint64_t kIdleTickUs = 100000;

} // namespace

bool sched_sleepers;

namespace {

// How long each halted CPU sleeps at most: the idle tick, or less when an
// environment's sys_sleep_until ends sooner.
uint64_t idle_us[NCPU];

[[noreturn, maybe_unused]] void sched_halt();

// Makes the environments whose sys_sleep_until time has come runnable;
// returns how many microseconds until the next one wakes (kIdleTickUs if
// that is later, or none sleeps).
uint64_t
sched_wake_sleepers()
{
	if (!sched_sleepers)
		return kIdleTickUs;
	sched_sleepers = false;
	uint64_t now = time_msec(), next = kIdleTickUs;
	for (int i = 0; i < NENV; i++) {
		Env *e = &envs[i];
		if (e->env_wake_msec == 0 || e->env_status != ENV_NOT_RUNNABLE)
			continue;
		if (e->env_wake_msec <= now) {
			e->env_wake_msec = 0;
			e->env_status = ENV_RUNNABLE;
		} else {
			next = MIN(next, (e->env_wake_msec - now) * 1000);
			sched_sleepers = true;
		}
	}
	return next;
}

} // namespace

// The slice is a deadline: an environment that enters the kernel (a system
// call, a fault it handles) and returns goes on with what is left of it,
// so that no environment can keep its CPU by entering the kernel more
// often than the timer would fire.
void
sched_arm_timeslice()
{
	if (!lapic_ready())
		return;
	Cpu *c = thiscpu;
	uint64_t now = rdtsc();
	if (c->slice_end == 0)
		c->slice_end = clock_deadline_us(kTimeSliceUs);
	lapic_timer_oneshot(c->slice_end > now ? tsc_to_us(c->slice_end - now) : 0);
}

bool
sched_slice_over()
{
	return thiscpu->slice_end == 0 || clock_passed(thiscpu->slice_end);
}

// Wakes the first halted CPU after the one woken last, so that over time
// every idle CPU gets work, not just the lowest-numbered one.
void
sched_wake_one()
{
	static int last_woken;
	for (int n = 1; n <= ncpu; n++) {
		int i = (last_woken + n) % ncpu;
		Cpu *c = &cpus[i];
		if (c != thiscpu && c->cpu_status.load(MemoryOrder::acquire) == CPU_HALTED) {
			last_woken = i;
			lapic_send_ipi(c->apic_id, T_IPI_WAKEUP);
			return;
		}
	}
}

// Round robin: the first runnable environment after the one this CPU ran
// last, wrapping around; if there is none, the one this CPU is running
// may go on. An environment running on another CPU is never chosen
// (env_status is ENV_RUNNING, not ENV_RUNNABLE).
void
sched_yield()
{
	assert(kernel_lock.holding());
	// Whoever runs next gets a whole slice: a yield gives up the rest.
	thiscpu->slice_end = 0;
	thiscpu->asked_tsc = rdtsc();
	// Lab 6: receivers of frames and sleepers whose time has come.
	net_wake_waiters();
	idle_us[cpunum()] = sched_wake_sleepers();
	// LAB 4 EXERCISE sched_yield BEGIN
	// Round robin: search envs[] for an ENV_RUNNABLE environment, starting
	// just after the one this CPU ran last (curenv, if any) and wrapping
	// around; env_run the first you find. If there is none, but curenv is
	// still ENV_RUNNING on this CPU, run it again. Never run an environment
	// that is running on another CPU. With nothing to run, sched_halt().
	//> panic("sched_yield: not implemented (LAB 4 exercise)");
	int start = curenv ? ENVX(curenv->env_id) + 1 : 0;
	for (int n = 0; n < NENV; n++) {
		Env *e = &envs[(start + n) % NENV];
		if (e->env_status == ENV_RUNNABLE)
			env_run(e);
	}
	if (curenv && curenv->env_status == ENV_RUNNING && curenv->env_cpunum == cpunum())
		env_run(curenv);
	sched_halt();
	// LAB 4 EXERCISE sched_yield END
}

namespace {

// Whether a blocked environment will become runnable without another
// environment's help (lab 6): one asleep until a time, or one waiting for
// the network card's interrupt.
bool
will_wake(const Env &e)
{
	return e.env_status == ENV_NOT_RUNNABLE &&
	       (e.env_wake_msec != 0 || (e.env_net_waiting && e1000_interrupts_on()));
}

// Nothing to run here: release the big kernel lock and halt until an
// interrupt (the idle tick, at the latest) sends this CPU back through
// trap() to sched_yield. When no environment is left anywhere, the boot
// CPU drops into the monitor, or exits QEMU when monitor=off.
void
sched_halt()
{
	bool any = false;
	for (int i = 0; i < NENV && !any; i++)
		any = envs[i].env_status == ENV_RUNNABLE || envs[i].env_status == ENV_RUNNING ||
		      envs[i].env_status == ENV_DYING || will_wake(envs[i]);
	if (!any && thiscpu == bootcpu) {
		cprintf("No runnable environments in the system!\n");
		trace_dump();
		if (!kargs.monitor)
			kernel_exit(true);
		for (;;)
			monitor(nullptr);
	}

	if (curenv)
		curenv->env_cpunum = -1;
	curenv = nullptr;
	load_pgdir(kern_pgdir);
	trace(TraceKind::Idle, 0);
	thiscpu->cpu_status.store(CPU_HALTED, MemoryOrder::release);
	unlock_kernel();

	// Restart on a fresh stack: nothing that called us is coming back.
	call_on_stack(kstack_top(cpunum()), [] {
		for (;;) {
			if (lapic_ready())
				lapic_timer_oneshot(idle_us[cpunum()]);
			sti_hlt();
			cli();
		}
	});
}

} // namespace
