// Round-robin scheduling across CPUs.
#pragma once

// Picks the next environment for this CPU and runs it; halts the CPU if
// there is none. Caller holds the big kernel lock. Never returns.
[[noreturn]] void sched_yield();
// Arms this CPU's timer for one time slice (env_run, before user mode).
void sched_arm_timeslice();
// An environment just became runnable: wake one halted CPU to run it.
// Caller holds the big kernel lock.
void sched_wake_one();
