// Spinlocks: an atomic exchange with acquire ordering to take, a store with
// release ordering to give back, `pause` while spinning.

#include <inc/assert.h>
#include <inc/x86.h>
#include <kern/cpu.h>
#include <kern/kdebug.h>
#include <kern/lapic.h>
#include <kern/spinlock.h>

Spinlock kernel_lock("kernel_lock");

namespace {

// Spins this many times before napping. A virtual CPU that spins keeps a
// host CPU from the virtual CPU holding the lock: with 255 vCPUs on two
// host cores, spinning alone turns a 100 ms bring-up into seconds.
constexpr int kSpinsBeforeNap = 200;

// Halts this CPU for about 50 us (a LAPIC one-shot wakes it), giving its
// host CPU to others. Interrupts are on only inside the halt; no lock is
// held while waiting for one.
void
nap()
{
	if (!lapic_ready()) {
		cpu_relax();
		return;
	}
	lapic_timer_oneshot(50);
	sti_hlt();
	cli();
}

} // namespace

void
Spinlock::lock()
{
	if (read_rflags() & FL_IF)
		panic("lock %s taken with interrupts enabled", name_);
	if (holding())
		panic("CPU %d acquired lock %s it already holds", cpunum(), name_);

	// Acquire ordering: nothing in the critical section may be read before
	// the lock is ours. Spin on a plain load so waiting CPUs do not keep
	// stealing the cache line from the holder; after a while, nap.
	int spins = 0;
	while (locked_.exchange(1, MemoryOrder::acquire) != 0)
		while (locked_.load(MemoryOrder::relaxed) != 0)
			if (++spins < kSpinsBeforeNap)
				cpu_relax();
			else
				nap();

	cpu_ = thiscpu;
	backtrace_pcs(read_rbp(), pcs_, ARRAY_SIZE(pcs_));
}

void
Spinlock::unlock()
{
	if (!holding()) {
		Cpu *holder = cpu_;
		if (holder == nullptr)
			panic("CPU %d released lock %s, which nobody holds", cpunum(), name_);
		panic("CPU %d released lock %s held by CPU %u", cpunum(), name_,
		      holder->cpu_id);
	}
	pcs_[0] = 0;
	cpu_ = nullptr;
	// Release ordering: every write of the critical section is visible
	// before another CPU can see the lock free.
	locked_.store(0, MemoryOrder::release);
}

bool
Spinlock::holding() const
{
	return locked_.load(MemoryOrder::relaxed) != 0 && cpu_ == thiscpu;
}
