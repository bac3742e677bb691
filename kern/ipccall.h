// IPC calls (lab 5): a send and the wait for its answer in one system call,
// as a client of a server wants them. JOS's clients sent with ipc_send and
// then received with ipc_recv: between the two the client was not
// receiving, so a server had to retry its answer until the client got
// there, and one client that never did stopped the server for everyone;
// and the client took its answer from whoever sent first. A call closes
// both holes: the caller is receiving from the moment its request is
// delivered, and it takes an answer only from the environment it called.
//
// A call to an environment that is not receiving waits in that
// environment's queue of callers (first come, first served, no spinning);
// its next sys_ipc_recv takes the first. When an environment is freed,
// every call waiting for it (queued, or waiting for its answer) ends with
// -E_BAD_ENV: nobody waits for an environment that is gone.
//
// All of it runs under the big kernel lock (lab 3's one environment runs
// without it, and alone).
#pragma once

#include <inc/env.h>

// sys_ipc_call: sends value (and the page at srcva with perm, if srcva is
// below UTOP) to envid, and waits for the answer: 0 once it came (in the
// caller's env_ipc_* fields, the page at dstva if one came), or an error
// (-E_BAD_ENV if envid does not exist or ends before it answers; -E_INVAL
// if envid itself waits in the caller's queue, where a call back would
// leave the two waiting for each other). Does not return when it waits.
int ipc_call(envid_t envid, uint32_t value, uint64_t srcva, uint64_t perm, uint64_t dstva);

// For sys_ipc_recv, before it blocks: if a call is waiting for the caller,
// delivers it now (the page at dstva) and returns true: the receive is
// done, and returns 0.
bool ipc_take_call(uint64_t dstva);

// For sys_ipc_try_send: whether target, though receiving, must refuse a
// message from sender (-E_IPC_NOT_RECV): it waits for the answer to its
// call, and sender is not the one it called.
bool ipc_refuses(const Env *target, const Env *sender);

// For env_free: e is going. Ends every call waiting for e, and takes e's
// own call, if it is queued, out of its callee's queue.
void ipc_forget(Env *e);
