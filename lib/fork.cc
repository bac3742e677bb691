// fork with copy-on-write (JOS lab 4 part B): parent and child share every
// page; writable ones are marked PTE_COW and read-only in both, and the
// first write to one faults into pgfault, which gives the writer its own
// copy.

#include <inc/lib.h>

namespace {

// The PTE that maps va, or 0 if va or a table above it is not mapped:
// each level is read only once the level above says it is present.
[[maybe_unused]] pte_t
pte_of(uintptr_t va)
{
	if (!(uvpml4[va >> PML4XSHIFT] & PTE_P) || !(uvpdp[va >> PDPXSHIFT] & PTE_P) ||
	    !(uvpd[va >> PDXSHIFT] & PTE_P))
		return 0;
	return uvpt[va >> PTXSHIFT];
}

// A write to a copy-on-write page: replace it, in place, with a private
// writable copy.
[[maybe_unused]] void
pgfault(UTrapframe *utf)
{
	uintptr_t addr = utf->utf_fault_va;
	uint64_t err = utf->utf_err;
	// LAB 4 EXERCISE fork BEGIN
	// The fault must be a write (FEC_WR in err) to a PTE_COW page (pte_of);
	// panic otherwise, naming the address, rip and error code. Then map a
	// new page at PFTEMP, copy the faulting page into it, map it over the
	// faulting page writable (keep PTE_NX if the old PTE had it), and
	// unmap PFTEMP. Panic if a system call fails.
	//> (void)addr, (void)err;
	//> panic("pgfault: not implemented (LAB 4 exercise)");
	pte_t pte = pte_of(addr);
	if (!(err & FEC_WR) || !(pte & PTE_COW))
		panic("pgfault: %s at va %08lx (rip %08lx, err %#lx), and the page is %s",
		      (err & FEC_WR) ? "a write" : "not a write", addr, utf->utf_rip, err,
		      (pte & PTE_COW) ? "copy-on-write" : "not copy-on-write");
	void *page = reinterpret_cast<void *>(ROUNDDOWN(addr, PGSIZE));
	void *tmp = reinterpret_cast<void *>(PFTEMP);
	uint64_t perm = PTE_P | PTE_U | PTE_W | (pte & PTE_NX);
	int r;
	if ((r = sys_page_alloc(0, tmp, perm)) < 0)
		panic("pgfault: sys_page_alloc: %s", error_string(r));
	memmove(tmp, page, PGSIZE);
	if ((r = sys_page_map(0, tmp, 0, page, perm)) < 0)
		panic("pgfault: sys_page_map: %s", error_string(r));
	if ((r = sys_page_unmap(0, tmp)) < 0)
		panic("pgfault: sys_page_unmap: %s", error_string(r));
	// LAB 4 EXERCISE fork END
}

// Maps page number pn of this environment into envid at the same address:
// writable and copy-on-write pages copy-on-write in both (the child's
// mapping first), read-only pages read-only.
[[maybe_unused]] void
duppage(envid_t envid, uintptr_t pn)
{
	// LAB 5 EXERCISE pte_share BEGIN
	// A PTE_SHARE page (a file descriptor, a pipe's buffer) is shared, not
	// copied: map it into the child as it is, writable or not, with the
	// permissions of its PTE (uvpt[pn] & (PTE_SYSCALL | PTE_NX)), and
	// return. Panic if the system call fails.
	//> if (uvpt[pn] & PTE_SHARE)
	//> 	panic("duppage: PTE_SHARE pages are copied, not shared (LAB 5 exercise pte_share)");
	if (uvpt[pn] & PTE_SHARE) {
		void *shared = reinterpret_cast<void *>(pn << PGSHIFT);
		int r = sys_page_map(0, shared, envid, shared, uvpt[pn] & (PTE_SYSCALL | PTE_NX));
		if (r < 0)
			panic("duppage: sharing the page at %p: %s", shared, error_string(r));
		return;
	}
	// LAB 5 EXERCISE pte_share END
	// LAB 4 EXERCISE fork BEGIN
	// uvpt[pn] is the PTE. A page that is PTE_W or PTE_COW is mapped
	// PTE_COW (and not PTE_W) into the child, then remapped PTE_COW in this
	// environment too; any other page is mapped into the child with its
	// permissions. Keep PTE_NX. Panic if a system call fails.
	//> (void)envid, (void)pn;
	//> panic("duppage: not implemented (LAB 4 exercise)");
	void *va = reinterpret_cast<void *>(pn << PGSHIFT);
	pte_t pte = uvpt[pn];
	uint64_t perm = PTE_P | PTE_U | (pte & PTE_NX);
	int r;
	if (pte & (PTE_W | PTE_COW)) {
		perm |= PTE_COW;
		if ((r = sys_page_map(0, va, envid, va, perm)) < 0 ||
		    (r = sys_page_map(0, va, 0, va, perm)) < 0)
			panic("duppage: sys_page_map at %p: %s", va, error_string(r));
	} else if ((r = sys_page_map(0, va, envid, va, perm)) < 0) {
		panic("duppage: sys_page_map at %p: %s", va, error_string(r));
	}
	// LAB 4 EXERCISE fork END
}

} // namespace

envid_t
fork()
{
	// LAB 4 EXERCISE fork BEGIN
	// set_pgfault_handler(pgfault); sys_exofork (the child returns 0, after
	// setting thisenv). The parent duppages every mapped page below
	// UTOP except the exception stack, walking its page table through the
	// windows in inc/lib.h: check each PML4E, PDPTE and PDE before reading
	// what lies under it, and skip whole absent ranges. Then it gives the
	// child a fresh exception stack and its page-fault upcall
	// (thisenv->env_pgfault_upcall), and makes it runnable.
	//> panic("fork not implemented (LAB 4 exercise)");
	set_pgfault_handler(pgfault);
	envid_t envid = sys_exofork();
	if (envid < 0)
		panic("fork: sys_exofork: %s", error_string(envid));
	if (envid == 0) {
		thisenv = &envs[ENVX(sys_getenvid())];
		return 0;
	}

	constexpr uintptr_t kXstack = UXSTACKTOP - PGSIZE;
	for (uintptr_t l4 = 0; l4 < PML4X(UTOP); l4++) {
		if (!(uvpml4[l4] & PTE_P))
			continue;
		for (uintptr_t l3 = l4 << 9; l3 < (l4 + 1) << 9; l3++) {
			if (!(uvpdp[l3] & PTE_P))
				continue;
			for (uintptr_t l2 = l3 << 9; l2 < (l3 + 1) << 9; l2++) {
				if (!(uvpd[l2] & PTE_P))
					continue;
				for (uintptr_t pn = l2 << 9; pn < (l2 + 1) << 9; pn++)
					if ((uvpt[pn] & PTE_P) && (pn << PGSHIFT) != kXstack)
						duppage(envid, pn);
			}
		}
	}

	int r;
	if ((r = sys_page_alloc(envid, reinterpret_cast<void *>(kXstack),
				PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
		panic("fork: allocating the child's exception stack: %s", error_string(r));
	auto upcall = reinterpret_cast<void (*)()>(thisenv->env_pgfault_upcall);
	if ((r = sys_env_set_pgfault_upcall(envid, upcall)) < 0)
		panic("fork: sys_env_set_pgfault_upcall: %s", error_string(r));
	if ((r = sys_env_set_status(envid, ENV_RUNNABLE)) < 0)
		panic("fork: sys_env_set_status: %s", error_string(r));
	return envid;
	// LAB 4 EXERCISE fork END
}

// Challenge: a fork whose child shares all memory but its stack.
envid_t
sfork()
{
	panic("sfork not implemented");
}
