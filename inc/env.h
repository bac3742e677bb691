// Environments (JOS's processes), shared by kernel and user code.
#pragma once

#include <inc/memlayout.h>
#include <inc/trap.h>
#include <inc/types.h>

using envid_t = int32_t;

// An environment ID has three parts:
//
// +1+---------------21-----------------+--------10--------+
// |0|          Uniqueifier             |   Environment    |
// | |                                  |      Index       |
// +------------------------------------+------------------+
//                                       \--- ENVX(eid) --/
//
// The environment index ENVX(eid) equals the environment's index in the
// envs[] array. The uniqueifier distinguishes environments that were
// created at different times but share the same index. An ID of 0 means
// "the current environment" to the system calls.
#define LOG2NENV	10
#define NENV		(1 << LOG2NENV)
#define ENVX(envid)	((envid) & (NENV - 1))

// Values of env_status.
enum {
	ENV_FREE = 0,
	ENV_DYING,
	ENV_RUNNABLE,
	ENV_RUNNING,
	ENV_NOT_RUNNABLE,
};

enum EnvType {
	ENV_TYPE_USER = 0,
	ENV_TYPE_FS,		// the file-system server: may use I/O ports
	ENV_TYPE_NS,		// the network server (lab 6)
};

struct Env {
	Trapframe env_tf;	// saved registers
	Env *env_link;		// next free Env
	envid_t env_id;		// unique environment identifier
	envid_t env_parent_id;	// env_id of this env's parent
	EnvType env_type;	// indicates special system environments
	uint32_t env_status;	// status of the environment
	uint32_t env_runs;	// number of times environment has run
	int32_t env_cpunum;	// the CPU that the env is running on (-1: none now)
	pte_t *env_pgdir;	// kernel virtual address of the PML4

	// Exception handling
	uint64_t env_pgfault_upcall;	// page fault upcall entry point (0: none)

	// Lab 4 IPC
	bool env_ipc_recving;		// env is blocked receiving
	uint64_t env_ipc_dstva;		// va at which to map received page (>= UTOP: none)
	uint32_t env_ipc_value;		// data value sent to us
	envid_t env_ipc_from;		// envid of the sender
	uint64_t env_ipc_perm;		// perm of page mapping received (0: none)
	// Lab 5: a call (sys_ipc_call) is a send and the wait for the answer
	// in one. While the caller waits for the answer, it takes one only
	// from the callee; until the callee receives the call, the call waits
	// in the callee's queue of callers (first come, first served).
	envid_t env_ipc_recv_from;	// while receiving: only from this env (0: any)
	envid_t env_ipc_call_to;	// a call queued for this env, not yet received (0: none)
	uint32_t env_ipc_call_value;	// ... its value,
	uint64_t env_ipc_call_srcva;	// its page (>= UTOP: none)
	uint64_t env_ipc_call_perm;	// and the page's permissions
	Env *env_ipc_call_next;		// the next caller in the same queue
	Env *env_ipc_callers;		// the callers waiting for this env to receive

	// Lab 5: blocked in sys_cgetc_wait until console input arrives
	bool env_cons_waiting;

	// Lab 6: blocked in sys_net_wait until the card receives a frame,
	// on this CPU (where the card's interrupt is sent meanwhile); and
	// asleep in sys_sleep_until until time_msec() reaches env_wake_msec
	// (0: not asleep).
	bool env_net_waiting;
	int32_t env_net_cpu;
	uint64_t env_wake_msec;

	// The last fault's rip and how many times in a row the environment
	// resumed there (kern/trap.cc ends a fault that is never fixed).
	uint64_t env_fault_rip;
	uint32_t env_fault_repeats;
};
