// trace=on: what each CPU did and when, for `make timeline`. Each CPU
// writes its own ring of events (no lock, no console: a trace must not
// change the timing it shows much); when the system has nothing left to
// run, the boot CPU prints every event in time order.
#pragma once

#include <inc/types.h>

enum class TraceKind : uint8_t {
	Run,		// env: the CPU switched to it
	Idle,		// the CPU halted: nothing to run
	Syscall,	// env, arg: the system call's number
	Fault,		// env, arg: the faulting address (a user page fault)
	IpcSend,	// env, arg: the receiver it reached
	IpcRecv,	// env: it blocks to receive
	LockWait,	// arg: how long (us) the CPU waited; name: the lock's
	Shootdown,	// env, arg: how many CPUs dropped a TLB entry, arg2: how long (us)
};

// Allocates each CPU's ring (kargs.trace); the events before are lost.
void trace_init();
// Records an event on this CPU's ring, if tracing (and the ring has room:
// a full ring counts what it drops). name: a string that lives for ever.
void trace(TraceKind kind, uint32_t env, uint64_t arg = 0, uint64_t arg2 = 0,
	   const char *name = nullptr);
// Prints every CPU's events in time order ("trace: ..." lines), once.
// Call with the other CPUs idle (their rings still).
void trace_dump();
