// Spinlocks: an atomic exchange with acquire ordering to take, a store with
// release ordering to give back, `pause` while spinning, and the next turn
// for a CPU that has waited too long.

#include <inc/assert.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/kdebug.h>
#include <kern/lapic.h>
#include <kern/printf.h>
#include <kern/spinlock.h>
#include <kern/trace.h>

Spinlock kernel_lock("kernel_lock");

namespace {

// Spins this many times before napping. A virtual CPU that spins keeps a
// host CPU from the virtual CPU holding the lock: with 255 vCPUs on two
// host cores, spinning alone turns a 100 ms bring-up into seconds.
constexpr int kSpinsBeforeNap = 200;

constexpr uint64_t kFirstNapUs = 50, kLongestNapUs = 1000;

// Halts this CPU for about `us` microseconds (a LAPIC one-shot wakes it),
// giving its host CPU to others. Interrupts are on only inside the halt;
// no lock is held while waiting for one.
//
// A wait's naps grow from kFirstNapUs to kLongestNapUs. Each nap costs an
// emulator three trips into its device model (the timer write, the halt,
// the interrupt), and those trips share one lock with every other device
// access: three CPUs napping every 50 us behind a busy lock slowed the
// file-system server's disk I/O on the fourth tenfold (user/fsclients on 4
// CPUs: 10.6 s with 50 us naps, 5.2 s with growing ones, 0.4 s on 1 CPU).
// A CPU that has waited kStarveUs takes the next turn and stops napping,
// so a long nap never delays a waiter past that.
void
nap(uint64_t us)
{
	if (!lapic_ready()) {
		cpu_relax();
		return;
	}
	lapic_timer_oneshot(us);
	sti_hlt();
	cli();
}

// A waiter that has waited this long gets the next turn. Long enough that
// the lock rarely changes hands this way: a turn handed to a virtual CPU
// the host is not running stays unused until the host runs it.
constexpr uint64_t kStarveUs = 5000;

// A wait this long (lockreport=MS, 5 s by default) is reported, once: a
// lock that is never released shows up as a message naming its holder and
// where it was taken, not as a silent hang. The wait goes on (a holder may
// be slow, not stuck).
uint64_t
stall_report_us()
{
	return static_cast<uint64_t>(kargs.lockreport_ms) * 1000;
}

// How long a wait may go unreported while the holder does a task it
// announced (Cpu::busy_with): 288 CPUs started one at a time on a busy
// 2-core host take well under this.
uint64_t
busy_cap_us()
{
	return MAX(120000000UL, 10 * stall_report_us());
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
	// the lock is ours. Spin on plain loads so waiting CPUs do not keep
	// stealing the cache line from the holder; after a while, nap.
	//
	// Whoever sees the lock free first takes it: fast, but a CPU that
	// re-enters at once (a yield loop) can keep out one that naps for as
	// long as it likes. So a CPU that has waited kStarveUs claims the next
	// turn (LockTurn): nobody else may take the lock then, and unlock
	// hands it over directly. The claimant spins instead of napping, with
	// an interrupt window now and then (the holder may be waiting for it
	// to answer an IPI).
	Cpu *me = thiscpu;
	int spins = 0;
	uint64_t report_at = 0, starve_at = 0, busy_until = 0, nap_us = kFirstNapUs, wait_start = 0;
	while (!turn_.try_take(me)) {
		me->heartbeat.fetch_add(1, MemoryOrder::relaxed);	// waiting, not stuck
		if (++spins < kSpinsBeforeNap) {
			cpu_relax();
			continue;
		}
		if (report_at == 0) {
			wait_start = rdtsc();
			report_at = clock_deadline_us(stall_report_us());
			starve_at = clock_deadline_us(kStarveUs);
		} else if (report_at != ~0UL && clock_passed(report_at)) {
			// While the holder does a task it announced, the wait is
			// counted again from now, up to a bound: a task that never
			// ends (a bring-up loop without a deadline) is still named.
			Cpu *holder = cpu_;
			const char *task = holder ? holder->busy_with.load(MemoryOrder::relaxed)
						  : nullptr;
			if (task != nullptr && busy_until == 0)
				busy_until = clock_deadline_us(busy_cap_us());
			if (task != nullptr && !clock_passed(busy_until)) {
				report_at = clock_deadline_us(stall_report_us());
			} else {
				report_stall(task);
				report_at = ~0UL;
			}
		}
		if (clock_passed(starve_at) && turn_.claim_turn(me)) {
			if (spins % kSpinsBeforeNap == 0 && lapic_ready())
				interrupt_window();
			cpu_relax();
		} else {
			nap(nap_us);
			nap_us = MIN(nap_us * 2, kLongestNapUs);
		}
	}

	cpu_ = me;
	backtrace_pcs(read_rbp(), pcs_, ARRAY_SIZE(pcs_));
	if (report_at != 0)		// it napped: a wait worth showing
		trace(TraceKind::LockWait, 0, tsc_to_us(rdtsc() - wait_start), 0, name_);
}

bool
Spinlock::try_lock()
{
	if (holding())
		panic("CPU %d acquired lock %s it already holds", cpunum(), name_);
	if (!turn_.try_take_unclaimed())
		return false;
	cpu_ = thiscpu;
	pcs_[0] = 0;
	return true;
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
	turn_.release(thiscpu);
}

// Names the holder and where it took the lock. Quiet while a panic is
// being reported (its CPU may hold anything), and while the holder sits in
// the kernel monitor, waiting for a person.
void
Spinlock::report_stall(const char *task)
{
	Cpu *holder = cpu_;
	uint64_t pcs[ARRAY_SIZE(pcs_)];
	memcpy(pcs, pcs_, sizeof(pcs));
	if (!report_stalls_ || kernel_panicked() || holder == nullptr || holder->in_monitor)
		return;
	ConsoleGuard guard;
	cprintf("warning: CPU %d has waited %lu ms for lock %s, held by CPU %u since:\n",
		cpunum(), (task ? busy_cap_us() : stall_report_us()) / 1000, name_,
		holder->cpu_id);
	for (uint64_t pc : pcs) {
		if (pc == 0)
			break;
		RipDebugInfo info;
		debuginfo_rip(pc - 1, &info);	// a return address: the call is before it
		cprintf("  rip %016lx  %s:%d: %s+%lu\n", pc, info.file, info.line, info.fn_name,
			pc - info.fn_addr);
	}
	if (task != nullptr)
		cprintf("warning: CPU %u said it was %s, and still is: look for a loop there "
			"without a bound\n", holder->cpu_id, task);
	else
		cprintf("warning: if CPU %u never releases %s, look for a path from there that "
			"returns without unlocking it\n", holder->cpu_id, name_);
}

bool
Spinlock::holding() const
{
	return turn_.locked() && cpu_ == thiscpu;
}
