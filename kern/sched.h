// Round-robin scheduling across CPUs.
#pragma once

// Picks the next environment for this CPU and runs it; halts the CPU if
// there is none. Caller holds the big kernel lock. Never returns.
[[noreturn]] void sched_yield();
// Arms this CPU's timer for what is left of the running environment's time
// slice, starting a new slice after sched_yield (env_run, before user mode).
void sched_arm_timeslice();
// True once the running environment's time slice has ended: a timer
// interrupt that arrives earlier (one armed before a nap, say) is no reason
// to preempt it.
bool sched_slice_over();
// An environment just became runnable: wake one halted CPU to run it.
// Caller holds the big kernel lock.
void sched_wake_one();
// Whether an environment may be asleep in sys_sleep_until (lab 6): the
// scheduler looks for sleepers to wake only then. Big kernel lock.
extern bool sched_sleepers;
