// System call stubs: int $T_SYSCALL with the number in RAX and the
// arguments in RDX, RCX, RBX, RDI, RSI (see inc/syscall.h).

#include <inc/lib.h>

namespace {

int64_t
syscall(int num, bool check, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
	uint64_t a4 = 0, uint64_t a5 = 0)
{
	int64_t ret;
	asm volatile("int %1"
		     : "=a"(ret)
		     : "i"(T_SYSCALL), "a"(num), "d"(a1), "c"(a2), "b"(a3), "D"(a4), "S"(a5)
		     : "cc", "memory");
	// Calls that return 0 or a negative error never return more.
	if (check && ret > 0)
		panic("syscall %d returned %ld (> 0)", num, ret);
	return ret;
}

uint64_t
u(const void *p)
{
	return reinterpret_cast<uint64_t>(p);
}

} // namespace

// The kernel prints at most SYS_CPUTS_MAX bytes a call.
void
sys_cputs(const char *s, size_t len)
{
	do {
		size_t n = MIN<size_t>(len, SYS_CPUTS_MAX);
		syscall(SYS_cputs, false, u(s), n);
		s += n, len -= n;
	} while (len > 0);
}

int
sys_cgetc()
{
	return static_cast<int>(syscall(SYS_cgetc, false));
}

envid_t
sys_getenvid()
{
	return static_cast<envid_t>(syscall(SYS_getenvid, false));
}

int
sys_env_destroy(envid_t envid)
{
	return static_cast<int>(syscall(SYS_env_destroy, true, static_cast<uint64_t>(envid)));
}

void
sys_yield()
{
	syscall(SYS_yield, false);
}

int
sys_env_set_status(envid_t envid, int status)
{
	return static_cast<int>(syscall(SYS_env_set_status, true, static_cast<uint64_t>(envid),
					static_cast<uint64_t>(status)));
}

int
sys_page_alloc(envid_t envid, void *va, uint64_t perm)
{
	return static_cast<int>(syscall(SYS_page_alloc, true, static_cast<uint64_t>(envid), u(va),
					perm));
}

int
sys_page_map(envid_t srcenv, void *srcva, envid_t dstenv, void *dstva, uint64_t perm)
{
	return static_cast<int>(syscall(SYS_page_map, true, static_cast<uint64_t>(srcenv), u(srcva),
					static_cast<uint64_t>(dstenv), u(dstva), perm));
}

int
sys_env_set_pgfault_upcall(envid_t envid, void (*upcall)())
{
	return static_cast<int>(syscall(SYS_env_set_pgfault_upcall, true,
					static_cast<uint64_t>(envid),
					reinterpret_cast<uint64_t>(upcall)));
}

int
sys_ipc_try_send(envid_t envid, uint32_t value, void *srcva, uint64_t perm)
{
	return static_cast<int>(syscall(SYS_ipc_try_send, false, static_cast<uint64_t>(envid),
					value, u(srcva), perm));
}

int
sys_ipc_recv(void *dstva)
{
	return static_cast<int>(syscall(SYS_ipc_recv, true, u(dstva)));
}

int
sys_page_unmap(envid_t envid, void *va)
{
	return static_cast<int>(syscall(SYS_page_unmap, true, static_cast<uint64_t>(envid), u(va)));
}

int
sys_env_set_trapframe(envid_t envid, const Trapframe *tf)
{
	return static_cast<int>(syscall(SYS_env_set_trapframe, true, static_cast<uint64_t>(envid),
					u(tf)));
}

int
sys_cgetc_wait()
{
	return static_cast<int>(syscall(SYS_cgetc_wait, false));
}

int
sys_cputs_once(const char *s, size_t len)
{
	return static_cast<int>(syscall(SYS_cputs_once, false, u(s), len));
}

int
sys_page_refs(const void *a, const void *b, uint64_t *ref_a, uint64_t *ref_b)
{
	uint64_t refs[2];
	int r = static_cast<int>(syscall(SYS_page_refs, true, u(a), u(b), u(refs)));
	if (r < 0)
		return r;
	*ref_a = refs[0];
	*ref_b = refs[1];
	return 0;
}

int
sys_page_shared(envid_t envid, const void *va, const void *myva)
{
	return static_cast<int>(syscall(SYS_page_shared, false, static_cast<uint64_t>(envid), u(va),
					u(myva)));
}

int
sys_ipc_call(envid_t envid, uint32_t value, void *srcva, uint64_t perm, void *dstva)
{
	return static_cast<int>(syscall(SYS_ipc_call, true, static_cast<uint64_t>(envid), value,
					u(srcva), perm, u(dstva)));
}

int64_t
sys_time_msec()
{
	return syscall(SYS_time_msec, false);
}

int
sys_sleep_until(uint64_t msec)
{
	return static_cast<int>(syscall(SYS_sleep_until, false, msec));
}

int
sys_net_try_send(const void *frame, size_t len)
{
	return static_cast<int>(syscall(SYS_net_try_send, false, u(frame), len));
}

int
sys_net_try_recv(void *buf, size_t len)
{
	return static_cast<int>(syscall(SYS_net_try_recv, false, u(buf), len));
}

int
sys_net_wait()
{
	return static_cast<int>(syscall(SYS_net_wait, false));
}

int
sys_net_mac(uint8_t mac[6])
{
	return static_cast<int>(syscall(SYS_net_mac, false, u(mac)));
}
