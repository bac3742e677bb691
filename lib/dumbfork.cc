// dumbfork: copy every page of the caller into a new environment (JOS
// lab 4 part A; lib/fork.cc has the copy-on-write fork of part B).

#include <inc/lib.h>

extern "C" char end[];	// the end of the program image (user/user.ld)

namespace {

// Gives dstenv its own copy of the page at addr, through a temporary
// mapping at UTEMP in this environment.
void
duppage(envid_t dstenv, void *addr)
{
	auto *tmp = reinterpret_cast<void *>(UTEMP);
	int r;
	if ((r = sys_page_alloc(dstenv, addr, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	if ((r = sys_page_map(dstenv, addr, 0, tmp, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_map: %s", error_string(r));
	memmove(tmp, addr, PGSIZE);
	if ((r = sys_page_unmap(0, tmp)) < 0)
		panic("sys_page_unmap: %s", error_string(r));
}

} // namespace

envid_t
dumbfork_stopped()
{
	// The child resumes here with RAX 0: sys_exofork is inlined, so no
	// return address on the (not yet copied) stack is needed.
	envid_t envid = sys_exofork();
	if (envid < 0)
		panic("sys_exofork: %s", error_string(envid));
	if (envid == 0) {
		thisenv = &envs[ENVX(sys_getenvid())];
		return 0;
	}

	// The program image, then the stack page we are running on.
	for (uintptr_t addr = UTEXT; addr < reinterpret_cast<uintptr_t>(end); addr += PGSIZE)
		duppage(envid, reinterpret_cast<void *>(addr));
	uintptr_t here = reinterpret_cast<uintptr_t>(&envid);
	duppage(envid, reinterpret_cast<void *>(ROUNDDOWN(here, PGSIZE)));
	return envid;
}

envid_t
dumbfork()
{
	envid_t envid = dumbfork_stopped();
	if (envid > 0) {
		int r = sys_env_set_status(envid, ENV_RUNNABLE);
		if (r < 0)
			panic("sys_env_set_status: %s", error_string(r));
	}
	return envid;
}
