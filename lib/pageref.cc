// Looking at this environment's own page table (through the UVPT windows)
// and at the kernel's page reference counts (through UPAGES).

#include <inc/lib.h>

pte_t
vpte(uintptr_t va)
{
	// Each level may be read only once the one above says it is present.
	if (va >= UTOP || !(uvpml4[va >> PML4XSHIFT] & PTE_P) ||
	    !(uvpdp[va >> PDPXSHIFT] & PTE_P) || !(uvpd[va >> PDXSHIFT] & PTE_P))
		return 0;
	return uvpt[va >> PTXSHIFT];
}

int
pageref(const void *va)
{
	pte_t pte = vpte(reinterpret_cast<uintptr_t>(va));
	if (!(pte & PTE_P))
		return 0;
	return pages[PGNUM(PTE_ADDR(pte))].pp_ref;
}
