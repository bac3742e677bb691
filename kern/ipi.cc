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
#include <kern/cpu.h>
#include <kern/env.h>
#include <kern/ipi.h>
#include <kern/lapic.h>
#include <kern/pmap.h>
#include <kern/sched.h>
#include <kern/spinlock.h>

namespace {

// A target answers within microseconds on hardware; under emulation a
// virtual CPU may wait for a host CPU. Past this, the target is named.
constexpr uint64_t kAckTimeoutUs = 2000000;

struct Request {
	pte_t *pgdir;		// shootdown: whose mapping changed (nullptr: none)
	uintptr_t va;
	Env *evict;		// eviction: the environment to stop running
};

Request request;
Atomic<uint64_t> request_gen;

// Sends the request filled in above to n CPUs and waits for each. Returns
// the first CPU that did not answer in time, or nullptr.
Cpu *
send_and_wait(Cpu *const *targets, int n)
{
	assert(kernel_lock.holding());
	// Sequentially consistent: the request's fields are visible to any CPU
	// that sees the new generation.
	uint64_t gen = request_gen.fetch_add(1) + 1;
	for (int i = 0; i < n; i++)
		lapic_send_ipi(targets[i]->apic_id, T_IPI_CALL);
	uint64_t deadline = clock_deadline_us(kAckTimeoutUs);
	for (int i = 0; i < n; i++)
		while (targets[i]->ipi_ack.load(MemoryOrder::acquire) < gen) {
			// A panicking kernel stops every other CPU: nobody answers.
			if (kernel_panicked() || clock_passed(deadline))
				return targets[i];
			cpu_relax();
		}
	return nullptr;
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
	Cpu *late = send_and_wait(targets, n);
	if (late != nullptr && !kernel_panicked())
		panic("TLB shootdown: CPU %u did not confirm within %lu ms that it dropped its "
		      "translation of va %#lx; it could still use a page that is no longer mapped",
		      late->cpu_id, kAckTimeoutUs / 1000, va);
}

bool
cpu_evict(Cpu *c, Env *e)
{
	assert(c != thiscpu && c->cpu_env == e);
	request = Request{nullptr, 0, e};
	Cpu *target = c;
	if (send_and_wait(&target, 1) == nullptr)
		return true;
	if (!kernel_panicked())
		cprintf("warning: CPU %u did not give up environment %08x within %lu ms; it frees "
			"the environment when it next enters the kernel\n", c->cpu_id, e->env_id,
			kAckTimeoutUs / 1000);
	return false;
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
