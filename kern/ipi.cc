// Cross-CPU requests: TLB shootdown and eviction.
//
// A CPU that changes a mapping of an address space must make sure no other
// CPU keeps using the old translation from its TLB: each CPU caches
// translations on its own, and INVLPG reaches only the CPU that executes
// it. The requester holds the big kernel lock, so there is one request at a
// time: it fills in `request`, bumps `request_gen`, sends T_IPI_CALL to every
// target and waits until each has stored that generation in its ipi_ack.
// Targets answer in their interrupt handler without taking any lock (the
// requester holds the one they would wait for), from user mode, from a
// halt, or while napping in a lock wait (naps run with interrupts on).
//
// Answering a newer request than the IPI was sent for is harmless: an
// invalidation may be repeated, and an eviction names its environment.

#include <inc/assert.h>
#include <inc/atomic.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/env.h>
#include <kern/ipi.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/trace.h>

namespace {

// A target answers within microseconds on hardware; under emulation a
// virtual CPU may wait seconds for a host CPU. Past this, and again every
// time this passes, the requester names the CPU it is still waiting for.
constexpr uint64_t kAckReportUs = 2000000;

struct Request {
	pte_t *pgdir;		// shootdown: whose mapping changed (nullptr: none)
	uintptr_t va;
	Env *evict;		// eviction: the environment to stop running
};

Request request;
Atomic<uint64_t> request_gen;

// Sends the request filled in above to n CPUs and waits until each has
// answered. There is no safe time to give up: the requester frees what the
// request is about (a page, an address space) once the targets have
// stopped using it, and a CPU that answers late is alive, only slow (the
// host did not run it). So the wait goes on, and says every kAckReportUs
// which CPU it is waiting for and why. Returns false only if the kernel
// panicked meanwhile (a panic stops every other CPU: nobody answers).
bool
send_and_wait(Cpu *const *targets, int n, const char *what)
{
	assert(kernel_lock.holding());
	// Sequentially consistent: the request's fields are visible to any CPU
	// that sees the new generation.
	uint64_t gen = request_gen.fetch_add(1) + 1;
	for (int i = 0; i < n; i++)
		lapic_send_ipi(targets[i]->apic_id, T_IPI_CALL);
	uint64_t start = rdtsc();
	for (int i = 0; i < n; i++) {
		uint64_t report_at = clock_deadline_us(kAckReportUs);
		while (targets[i]->ipi_ack.load(MemoryOrder::acquire) < gen) {
			if (kernel_panicked())
				return false;
			if (clock_passed(report_at)) {
				cprintf("warning: CPU %u has not answered for %lu ms (%s); waiting: the "
					"request cannot be dropped while that CPU may act on it\n",
					targets[i]->cpu_id, tsc_to_us(rdtsc() - start) / 1000, what);
				report_at = clock_deadline_us(kAckReportUs);
			}
			cpu_relax();
		}
	}
	uint64_t us = tsc_to_us(rdtsc() - start);
	if (us >= kAckReportUs)
		cprintf("SMP: %s: answered after %lu ms\n", what, us / 1000);
	return true;
}

} // namespace

void
tlb_shootdown(pte_t *pgdir, uintptr_t va)
{
	static Cpu *targets[NCPU];
	int n = 0;
	for (int i = 0; i < ncpu; i++)
		if (&cpus[i] != thiscpu && cpus[i].cpu_pgdir == pgdir)
			targets[n++] = &cpus[i];
	if (n == 0)
		return;
	request = Request{pgdir, va, nullptr};
	char what[64];
	snprintf(what, sizeof(what), "dropping its TLB entry for va %#lx", va);
	uint64_t start = rdtsc();
	send_and_wait(targets, n, what);
	trace(TraceKind::Shootdown, curenv ? curenv->env_id : 0, static_cast<uint64_t>(n),
	      tsc_to_us(rdtsc() - start));
}

bool
cpu_evict(Cpu *c, Env *e)
{
	assert(c != thiscpu && c->cpu_env == e);
	request = Request{nullptr, 0, e};
	Cpu *target = c;
	char what[64];
	snprintf(what, sizeof(what), "giving up environment %08x", e->env_id);
	return send_and_wait(&target, 1, what);
}

void
cpu_kick(Cpu *c)
{
	if (c != thiscpu)
		lapic_send_ipi(c->apic_id, T_IPI_WAKEUP);
}

void
ipi_call_handle(Trapframe *tf)
{
	Cpu *c = thiscpu;
	static Atomic<bool> stalled_once;
	if (kargs.crash == Crash::LateAck && !stalled_once.exchange(true)) {
		cprintf("crash: CPU %d answers the request only after 2500 ms\n", cpunum());
		udelay(2500000);
	}
	uint64_t gen = request_gen.load(MemoryOrder::acquire);
	Request r = request;
	bool evicted = false;
	if (r.evict != nullptr && c->cpu_env == r.evict) {
		// The requester frees r.evict as soon as we answer: its page
		// tables must be out of CR3 first.
		load_pgdir(kern_pgdir);
		c->cpu_env = nullptr;
		evicted = true;
	} else if (r.pgdir != nullptr) {
		invlpg(r.va);
	}
	c->ipi_ack.store(gen, MemoryOrder::release);

	// Interrupted in user mode, in the environment that is now gone:
	// there is nothing to return to. (Interrupted in the kernel, the CPU
	// was waiting for the big kernel lock in trap(), which sees curenv
	// gone once it has the lock.)
	if (evicted && (tf->tf_cs & 3)) {
		lock_kernel();
		sched_yield();
	}
}
