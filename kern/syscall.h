// System call dispatch.
#pragma once

#include <inc/syscall.h>
#include <inc/types.h>

// Runs system call num with JOS's five arguments for the current
// environment; returns its result (negative E_* on error).
int64_t syscall(uint64_t num, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
// Gives console input to the environments blocked in sys_cgetc_wait, if a
// console interrupt brought some since the last call. Caller holds the big
// kernel lock (trap() calls it once it has the lock).
void cons_wake_waiters();
// Makes the environments blocked in sys_net_wait runnable, if the card's
// interrupt said frames arrived since the last call, each on the CPU it
// waited on. Caller holds the big kernel lock.
void net_wake_waiters();
