// System call numbers. User code traps with int $T_SYSCALL: the number in
// RAX, arguments in RDX, RCX, RBX, RDI, RSI (JOS's order), result in RAX.
#pragma once

enum {
	SYS_cputs = 0,
	SYS_cgetc,
	SYS_getenvid,
	SYS_env_destroy,
	SYS_page_alloc,
	SYS_page_map,
	SYS_page_unmap,
	SYS_exofork,
	SYS_env_set_status,
	SYS_yield,
	SYS_env_set_pgfault_upcall,
	SYS_ipc_try_send,
	SYS_ipc_recv,
	SYS_env_set_trapframe,
	SYS_cgetc_wait,
	SYS_page_refs,
	SYS_cputs_once,
	SYS_page_shared,
	SYS_ipc_call,
	// Lab 6: time, and the network card.
	SYS_time_msec,
	SYS_sleep_until,
	SYS_net_try_send,
	SYS_net_try_recv,
	SYS_net_wait,
	SYS_net_mac,
	NSYSCALLS
};

// The most bytes one SYS_cputs prints: the kernel holds the big kernel lock
// while it prints, so no call may choose how long that is (-E_INVAL above
// this). The library's sys_cputs prints longer strings in pieces.
#define SYS_CPUTS_MAX 4096

// The longest notice SYS_cputs_once takes (-E_INVAL above it).
#define SYS_CPUTS_ONCE_MAX 512
