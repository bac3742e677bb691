// Physical memory management: the page allocator, 4-level page tables, the
// kernel's own address space, and the JOS self-checks adapted to x86_64.

#include <inc/error.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/console.h>
#include <kern/cpu.h>
#include <kern/env.h>
#include <kern/ipi.h>
#include <kern/lab.h>
#include <kern/pmap.h>
#include <kern/spinlock.h>

extern "C" char end[], etext[], __text_start[], __rodata_start[], __rodata_end[],
	__data_start[];

size_t npages;			// pages of physical address space we manage
PageInfo *pages;		// one PageInfo per page
pte_t *kern_pgdir;		// the kernel's PML4

namespace {

PageInfo *page_free_list;
bool page_init_done;
// KADDR works below this: the boot tables' direct map until mem_init
// switches to kern_pgdir, all managed memory after.
physaddr_t kaddr_limit = EARLY_MAP_LIMIT;
// PTE_NX when the CPU has it (the boot code enabled EFER.NXE), else 0: on a
// CPU without NX, bit 63 is reserved and must stay clear.
uint64_t nx_bit;

// What one virtual address maps to, as the MMU would see it.
struct Mapping {
	physaddr_t pa;
	uint64_t size;		// PGSIZE, 2 MiB or 1 GiB; when unmapped, the size of
				// the hole (a missing table leaves a larger one)
	uint64_t flags;		// PTE_W/PTE_U only if every level allows it; PTE_NX if any sets it
};

constexpr int
table_index(uintptr_t va, int level)
{
	return static_cast<int>((va >> (PGSHIFT + 9 * (level - 1))) & 0x1FF);
}

bool
lookup_mapping(pte_t *pgdir, uintptr_t va, Mapping *m)
{
	pte_t *table = pgdir;
	uint64_t flags = PTE_W | PTE_U;
	uint64_t nx = 0;
	for (int level = 4; level >= 1; level--) {
		pte_t e = table[table_index(va, level)];
		if (!(e & PTE_P)) {
			m->size = 1UL << (PGSHIFT + 9 * (level - 1));	// the hole's extent
			return false;
		}
		flags &= e;
		nx |= e & PTE_NX;
		if (level == 1 || (e & PTE_PS)) {
			uint64_t size = 1UL << (PGSHIFT + 9 * (level - 1));
			m->size = size;
			m->pa = (PTE_ADDR(e) & ~(size - 1)) + (va & (size - 1));
			m->flags = flags | nx | PTE_P;
			return true;
		}
		table = static_cast<pte_t *>(KADDR(PTE_ADDR(e)));
	}
	return false;
}

// The entry for va in the table at level (4 = PML4 ... 1 = page table),
// allocating missing tables when create. A huge-page entry above level ends
// the walk early and is returned instead.
pte_t *
walk(pte_t *pgdir, uintptr_t va, int level, bool create)
{
	// LAB 2 EXERCISE pgdir_walk BEGIN
	// Four levels of tables, each 512 entries: the PML4 (level 4), the
	// page-directory-pointer table (3), the page directory (2) and the
	// page table (1). table_index(va, l) is va's index in a level-l table.
	// From pgdir, go down to the table at `level` and return the address of
	// va's entry there. On the way, an entry that is not present (PTE_P)
	// means a missing table: without create, return nullptr; with it,
	// allocate a zeroed page (page_alloc(ALLOC_ZERO); nullptr if none),
	// count the reference (pp_ref), and point the entry at it (page2pa)
	// with PTE_P | PTE_W | PTE_U: the upper levels allow everything, the
	// last one decides. An entry with PTE_PS maps a huge page itself
	// (2 MiB in a page directory): return it, it ends the walk. KADDR
	// turns a table's physical address into one the kernel can use.
	//> (void)pgdir, (void)va, (void)level, (void)create;
	//> lab_todo(2, "pgdir_walk (walk in kern/pmap.cc)");
	pte_t *table = pgdir;
	for (int l = 4; l > level; l--) {
		pte_t *e = &table[table_index(va, l)];
		if (*e & PTE_P) {
			if (*e & PTE_PS)
				return e;
		} else {
			if (!create)
				return nullptr;
			PageInfo *pp = page_alloc(ALLOC_ZERO);
			if (pp == nullptr)
				return nullptr;
			pp->pp_ref++;
			// Upper levels are permissive; the leaf decides.
			*e = page2pa(pp) | PTE_P | PTE_W | PTE_U;
		}
		table = static_cast<pte_t *>(KADDR(PTE_ADDR(*e)));
	}
	return &table[table_index(va, level)];
	// LAB 2 EXERCISE pgdir_walk END
}

bool
overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

// True if [pa, pa+len) lies in a usable region of the firmware's map and
// touches no region of any other type (maps may overlap; be conservative).
bool
firmware_says_usable(physaddr_t pa, uint64_t len)
{
	bool inside = false;
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		if (r.type == MEM_USABLE) {
			if (pa >= r.base && pa + len <= r.base + r.len)
				inside = true;
		} else if (overlaps(pa, len, r.base, r.len)) {
			return false;
		}
	}
	return inside;
}

// The first page after the kernel image (the linker's `end`).
physaddr_t
image_end()
{
	return ROUNDUP(PADDR(end), PGSIZE);
}

// The free physical memory, as sorted, disjoint, page-aligned [base, end)
// spans: usable RAM of the firmware map, minus any other region of the map
// (memmap= ranges among them), minus what the kernel keeps: page 0
// (real-mode IDT and BIOS data), MPENTRY_PADDR (the AP trampoline), the
// legacy hole, the kernel image and the boot structures. boot_alloc takes
// its memory from these spans, and page_init hands out what is left.
// Computed once per range, not once per page: under emulation (TCG, or KVM
// on a nested host) a boot pays for every instruction.
struct Span {
	physaddr_t base, end;
};
constexpr int kMaxSpans = 2 * ARRAY_SIZE(BootInfo::mmap) + 16;
Span free_spans[kMaxSpans];
int nfree_spans;

// Removes [base, end) from the spans.
void
spans_remove(physaddr_t base, physaddr_t end)
{
	base = ROUNDDOWN(base, PGSIZE);
	end = ROUNDUP(end, PGSIZE);
	for (int i = 0; i < nfree_spans; i++) {
		Span &s = free_spans[i];
		if (end <= s.base || base >= s.end)
			continue;
		if (base > s.base && end < s.end) {	// splits s in two
			if (nfree_spans == kMaxSpans)
				panic("page_init: the memory map is too fragmented");
			for (int j = nfree_spans++; j > i + 1; j--)
				free_spans[j] = free_spans[j - 1];
			free_spans[i + 1] = Span{end, s.end};
			s.end = base;
			return;
		}
		if (base <= s.base)
			s.base = MIN(end, s.end);
		else
			s.end = base;
	}
}

void
compute_free_spans()
{
	nfree_spans = 0;
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		physaddr_t base = ROUNDUP(r.base, PGSIZE);
		physaddr_t end = MIN(ROUNDDOWN(r.base + r.len, PGSIZE), npages * PGSIZE);
		if (r.type != MEM_USABLE || base >= end)
			continue;
		// Insert in address order.
		int j = nfree_spans++;
		for (; j > 0 && free_spans[j - 1].base > base; j--)
			free_spans[j] = free_spans[j - 1];
		free_spans[j] = Span{base, end};
	}
	// Overlapping or touching usable regions become one span.
	int merged = 0;
	for (int i = 0; i < nfree_spans; i++) {
		if (merged > 0 && free_spans[i].base <= free_spans[merged - 1].end)
			free_spans[merged - 1].end = MAX(free_spans[merged - 1].end, free_spans[i].end);
		else
			free_spans[merged++] = free_spans[i];
	}
	nfree_spans = merged;
	for (int i = 0; i < boot_info.nmmap; i++)
		if (boot_info.mmap[i].type != MEM_USABLE)
			spans_remove(boot_info.mmap[i].base,
				     boot_info.mmap[i].base + boot_info.mmap[i].len);
	spans_remove(0, PGSIZE);
	// LAB 4 EXERCISE mpentry_page BEGIN
	// The AP trampoline (kern/mpentry.S) is copied to MPENTRY_PADDR, and
	// every AP starts there in real mode: that page must never be handed
	// out. Take it out of the free spans, as the lines around this do for
	// page 0 and the legacy hole.
	spans_remove(MPENTRY_PADDR, MPENTRY_PADDR + PGSIZE);
	// LAB 4 EXERCISE mpentry_page END
	spans_remove(IOPHYSMEM, EXTPHYSMEM);
	spans_remove(KERNLOAD, image_end());
	for (int i = 0; i < boot_info.nreserved; i++)
		spans_remove(boot_info.reserved[i].base,
			     boot_info.reserved[i].base + boot_info.reserved[i].len);
	// Drop spans emptied by the removals.
	int n = 0;
	for (int i = 0; i < nfree_spans; i++)
		if (free_spans[i].base < free_spans[i].end)
			free_spans[n++] = free_spans[i];
	nfree_spans = n;
}

// The boot page tables map KERNBASE onto the low 2 GiB of physical memory
// (boot/entry.S), and boot_alloc's memory is reached there.
constexpr physaddr_t kKernbaseMapLimit = 0x80000000UL;

// How many bytes boot_alloc may take from the start of span s: none in the
// first MiB (the BIOS's data and real-mode code live there, and lab 4's
// trampoline), and none past the low 2 GiB that KERNBASE maps.
[[maybe_unused]] size_t
boot_room(const Span &s)
{
	physaddr_t stop = MIN(s.end, kKernbaseMapLimit);
	return s.base >= EXTPHYSMEM && stop > s.base ? stop - s.base : 0;
}

// boot_alloc's failure: no free span has room for n bytes. Says how much
// was asked for and the most any span could give.
[[noreturn, maybe_unused]] void
boot_alloc_no_room(size_t n)
{
	const Span *best = nullptr;
	for (int i = 0; i < nfree_spans; i++)
		if (best == nullptr || boot_room(free_spans[i]) > boot_room(*best))
			best = &free_spans[i];
	if (best == nullptr || boot_room(*best) == 0)
		panic("boot_alloc: no room for %lu bytes: no usable memory is left between 1 MiB "
		      "and 2 GiB", n);
	panic("boot_alloc: no room for %lu bytes: the largest usable range left between 1 MiB "
	      "and 2 GiB, [%#lx-%#lx], holds %lu bytes", n, best->base,
	      best->base + boot_room(*best) - 1, boot_room(*best));
}

// Simple physical memory allocator used only while setting up the kernel's
// page tables, before page_init. Allocates n bytes (whole pages) of memory
// that the firmware's map says is usable, takes them out of the free spans
// (so that page_init never hands them out), and returns their kernel
// address, KERNBASE + physical, as JOS's did. Panics if no usable range is
// large enough.
void *
boot_alloc(size_t n)
{
	if (page_init_done)
		panic("boot_alloc called after page_init: use page_alloc");
	// LAB 2 EXERCISE boot_alloc BEGIN
	// JOS took the memory right after the kernel image, and went on from
	// there: it assumed that RAM runs on, unbroken, after the kernel. A
	// firmware map need not say so (labs/lab2.md shows one that does not).
	// Take the memory from what the map says is free instead:
	// free_spans[0 .. nfree_spans) are the free [base, end) ranges, in
	// address order (compute_free_spans made them from the map). Round n up
	// to whole pages (ROUNDUP, PGSIZE), find the first span with that much
	// room from its start (boot_room(span) says how much boot_alloc may
	// use), and take it from there: move the span's base past it, so that
	// the span no longer holds it. Return its kernel address: KERNBASE +
	// physical, as JOS's did (the boot page tables map it, and mem_init
	// maps it in kern_pgdir too). No span with room: boot_alloc_no_room(n)
	// panics and says why.
	//> (void)n;
	//> lab_todo(2, "boot_alloc (kern/pmap.cc)");
	size_t size = ROUNDUP(n, PGSIZE);
	for (int i = 0; i < nfree_spans; i++) {
		Span &s = free_spans[i];
		if (boot_room(s) >= size) {
			physaddr_t pa = s.base;
			s.base += size;
			return reinterpret_cast<void *>(KERNBASE + pa);
		}
	}
	boot_alloc_no_room(n);
	// LAB 2 EXERCISE boot_alloc END
}

// Fixes npages from the firmware map: the highest usable address.
void
detect_memory()
{
	physaddr_t top = 0;
	uint64_t usable = 0;
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		if (r.type != MEM_USABLE)
			continue;
		usable += r.len;
		top = MAX(top, ROUNDDOWN(r.base + r.len, PGSIZE));
	}
	if (top == 0)
		panic("the firmware memory map lists no usable memory");
	if (top > DIRECTMAPSIZE)
		panic("physical memory up to %#lx exceeds the direct map (%#lx)", top,
		      DIRECTMAPSIZE);
	npages = PGNUM(top);
	if (npages * sizeof(PageInfo) > UVPT - UPAGES)
		panic("%lu pages do not fit the UPAGES window", npages);
	cprintf("Memory map: %luK of usable RAM, highest usable address %#lx\n",
		usable / 1024, top);
}

// Which free span holds pa, or -1 (binary search).
int
free_span_of(physaddr_t pa)
{
	int lo = 0, hi = nfree_spans;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (pa < free_spans[mid].base)
			hi = mid;
		else if (pa >= free_spans[mid].end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

// What mem_init took from boot_alloc: the kernel's PML4, the pages array,
// and (lab 3) the envs array. Returns how many there are.
struct BootAllocation {
	const char *what;
	physaddr_t pa;
	size_t len;		// whole pages, as boot_alloc takes them
};
constexpr int kMaxBootAllocations = 3;

int
boot_allocations(BootAllocation out[kMaxBootAllocations])
{
	int n = 0;
	out[n++] = {"kern_pgdir", PADDR(kern_pgdir), PGSIZE};
	out[n++] = {"pages", PADDR(pages), ROUNDUP(npages * sizeof(PageInfo), PGSIZE)};
	if (envs != nullptr)
		out[n++] = {"envs", PADDR(envs), ROUNDUP(NENV * sizeof(Env), PGSIZE)};
	return n;
}

// One line: where boot_alloc put each of them.
void
report_boot_allocations()
{
	BootAllocation a[kMaxBootAllocations];
	int n = boot_allocations(a);
	cprintf("boot_alloc:");
	for (int i = 0; i < n; i++)
		cprintf("%s %s [0x%09lx-0x%09lx]", i ? "," : "", a[i].what, a[i].pa,
			a[i].pa + a[i].len - 1);
	cprintf("\n");
}

// What check_page_free_list checks each run of free pages against.
struct FreeListCheck {
	physaddr_t limit;		// pages at or above it are not poisoned
	BootAllocation kept[kMaxBootAllocations];
	int nkept;
	size_t nfree_basemem, nfree_extmem;	// free pages below and above 1 MiB
};

// boot_alloc's memory lies in usable RAM, as the firmware's map (with
// memmap= ranges) says, wherever that is; no two allocations share a page.
void
check_boot_allocations(const FreeListCheck &c)
{
	for (int i = 0; i < c.nkept; i++) {
		const BootAllocation &a = c.kept[i];
		if (!firmware_says_usable(a.pa, a.len))
			panic("check_page_free_list: boot_alloc put %s at [%#lx-%#lx], which the "
			      "memory map does not call usable RAM", a.what, a.pa, a.pa + a.len - 1);
		if (a.pa < image_end() && a.pa + a.len > KERNLOAD)
			panic("check_page_free_list: boot_alloc put %s at [%#lx-%#lx], inside the "
			      "kernel image", a.what, a.pa, a.pa + a.len - 1);
		if (a.pa < EXTPHYSMEM)
			panic("check_page_free_list: boot_alloc put %s at [%#lx-%#lx], in the first "
			      "MiB (the BIOS's data and code, lab 4's trampoline page)", a.what, a.pa,
			      a.pa + a.len - 1);
		for (int j = 0; j < i; j++)
			if (overlaps(a.pa, a.len, c.kept[j].pa, c.kept[j].len))
				panic("check_page_free_list: boot_alloc gave %s and %s the same memory",
				      a.what, c.kept[j].what);
	}
}

// Checks the free pages lo..hi (PageInfo addresses), which the free list
// links one after the other: both ends must be sane PageInfo pointers in
// the same free span, and JOS's landmarks must not fall inside, nor the
// kernel image, nor anything boot_alloc handed out.
void
check_free_run(PageInfo *lo, PageInfo *hi, FreeListCheck *c)
{
	PageInfo *ends[] = {lo, hi};
	for (PageInfo *pp : ends) {
		assert(pp >= pages);
		assert(pp < pages + npages);
		assert((reinterpret_cast<char *>(pp) - reinterpret_cast<char *>(pages)) %
		       sizeof(*pp) == 0);
	}
	physaddr_t pa_lo = page2pa(lo), pa_hi = page2pa(hi);
	auto inside = [&](physaddr_t pa) { return pa >= pa_lo && pa <= pa_hi; };
	assert(!inside(0));
	assert(!inside(IOPHYSMEM));
	assert(!inside(EXTPHYSMEM - PGSIZE));
	assert(!inside(EXTPHYSMEM));
	// JOS's landmark: the kernel image, from 1 MiB on.
	assert(pa_lo >= image_end() || pa_hi < EXTPHYSMEM);
	for (int i = 0; i < c->nkept; i++)
		if (overlaps(pa_lo, pa_hi + PGSIZE - pa_lo, c->kept[i].pa, c->kept[i].len))
			panic("check_page_free_list: the free page %#lx is in %s, which boot_alloc "
			      "handed out", MAX(pa_lo, c->kept[i].pa), c->kept[i].what);
	// Lab 4's landmark: the AP trampoline's page (lab=3 and earlier start
	// no AP, and a lab 3 tree has not set it aside yet).
	if (kargs.lab >= 4)
		assert(!inside(MPENTRY_PADDR));
	// Usable RAM, and nothing the kernel keeps (image, boot structures).
	int span = free_span_of(pa_lo);
	assert(span >= 0 && pa_hi < free_spans[span].end);

	size_t n = hi - lo + 1;
	size_t below = pa_hi < EXTPHYSMEM ? n : pa_lo < EXTPHYSMEM ? PGNUM(EXTPHYSMEM - pa_lo) : 0;
	c->nfree_basemem += below;
	c->nfree_extmem += n - below;

	// A page that should not be free gets scribbled on, so that whoever
	// uses it notices soon. JOS poisons every free page; here every page
	// is checked against the memory map above, so only the ends of runs
	// next to kept pages are (an off-by-one reservation lands there), and
	// QEMU is not made to allocate all of guest RAM at once.
	size_t ilo = lo - pages, ihi = hi - pages;
	if (ilo > 0 && pages[ilo - 1].pp_ref != 0 && pa_lo < c->limit)
		memset(page2kva(lo), 0x97, 128);
	if (ihi + 1 < npages && pages[ihi + 1].pp_ref != 0 && pa_hi < c->limit)
		memset(page2kva(hi), 0x97, 128);
}

// Every page is free (on the list, pp_ref 0) or in use (pp_ref counts its
// users; page_init gives each page it keeps one): a page kept out of the
// list with pp_ref 0 looks free to page_free, which would hand it out.
// nfree: the free list's length. One pass over pages[] reading pp_ref.
void
check_kept_pages_referenced(size_t nfree)
{
	size_t unreferenced = 0;
	for (size_t i = 0; i < npages; i++)
		unreferenced += pages[i].pp_ref == 0;
	if (unreferenced == nfree)
		return;
	for (size_t i = 0; i < npages; i++)
		if (pages[i].pp_ref == 0 && free_span_of(i * PGSIZE) < 0)
			panic("check_page_free_list: page %#lx is kept out of the free list, but its "
			      "pp_ref is 0, as if free", i * PGSIZE);
	panic("check_page_free_list: %lu pages have pp_ref 0, but only %lu are free",
	      unreferenced, nfree);
}

// Moves the pages the boot tables can reach (below EARLY_MAP_LIMIT) to the
// front of the free list when only_low_memory, then checks that the list
// holds nothing page_init must have kept. page_init links free pages in
// runs of neighbours, so whole runs are checked at once; every link is
// still followed, and a list longer than memory (a cycle) panics.
void
check_page_free_list(bool only_low_memory)
{
	FreeListCheck c{};
	c.limit = only_low_memory ? EARLY_MAP_LIMIT : ~0UL;
	if (page_free_list == nullptr)
		panic("'page_free_list' is a null pointer!");

	if (only_low_memory && npages * PGSIZE > c.limit) {
		PageInfo *pp1 = nullptr, *pp2 = nullptr;
		PageInfo **tp[2] = {&pp1, &pp2};
		for (PageInfo *pp = page_free_list; pp; pp = pp->pp_link) {
			int high = page2pa(pp) >= c.limit;
			*tp[high] = pp;
			tp[high] = &pp->pp_link;
		}
		*tp[1] = nullptr;
		*tp[0] = pp2;
		page_free_list = pp1;
	}

	c.nkept = boot_allocations(c.kept);
	check_boot_allocations(c);
	size_t nfree = 0;
	for (PageInfo *pp = page_free_list; pp;) {
		PageInfo *start = pp;
		int dir = pp->pp_link == pp - 1 ? -1 : 1;
		size_t n = 1;
		while (pp->pp_link == pp + dir && n <= npages) {
			pp = pp->pp_link;
			n++;
		}
		nfree += n;
		if (nfree > npages)
			panic("check_page_free_list: the free list is longer than memory "
			      "(a page freed twice makes a cycle)");
		check_free_run(MIN(start, pp), MAX(start, pp), &c);
		pp = pp->pp_link;
	}
	check_kept_pages_referenced(nfree);
	assert(c.nfree_basemem > 0);
	assert(c.nfree_extmem > 0);
	cprintf("check_page_free_list() succeeded!\n");
}

void
check_page_alloc()
{
	PageInfo *pp, *pp0, *pp1, *pp2;
	int nfree = 0;

	if (pages == nullptr)
		panic("'pages' is a null pointer!");
	for (pp = page_free_list; pp; pp = pp->pp_link)
		++nfree;

	pp0 = pp1 = pp2 = nullptr;
	assert((pp0 = page_alloc(0)));
	assert((pp1 = page_alloc(0)));
	assert((pp2 = page_alloc(0)));
	assert(pp1 && pp1 != pp0);
	assert(pp2 && pp2 != pp1 && pp2 != pp0);
	assert(page2pa(pp0) < npages * PGSIZE);
	assert(page2pa(pp1) < npages * PGSIZE);
	assert(page2pa(pp2) < npages * PGSIZE);

	// Temporarily steal the rest of the free pages.
	PageInfo *fl = page_free_list;
	page_free_list = nullptr;
	assert(!page_alloc(0));

	page_free(pp0);
	page_free(pp1);
	page_free(pp2);
	pp0 = pp1 = pp2 = nullptr;
	assert((pp0 = page_alloc(0)));
	assert((pp1 = page_alloc(0)));
	assert((pp2 = page_alloc(0)));
	assert(pp1 && pp1 != pp0);
	assert(pp2 && pp2 != pp1 && pp2 != pp0);
	assert(!page_alloc(0));

	// ALLOC_ZERO really zeroes.
	memset(page2kva(pp0), 1, PGSIZE);
	page_free(pp0);
	assert((pp = page_alloc(ALLOC_ZERO)));
	assert(pp && pp0 == pp);
	auto *c = static_cast<uint64_t *>(page2kva(pp));
	for (size_t i = 0; i < PGSIZE / sizeof(*c); i++)
		assert(c[i] == 0);

	page_free_list = fl;
	page_free(pp0);
	page_free(pp1);
	page_free(pp2);

	for (pp = page_free_list; pp; pp = pp->pp_link)
		--nfree;
	assert(nfree == 0);
	cprintf("check_page_alloc() succeeded!\n");
}

physaddr_t
check_va2pa(pte_t *pgdir, uintptr_t va)
{
	Mapping m;
	return lookup_mapping(pgdir, va, &m) ? m.pa : ~0UL;
}

// Frees the tables under kern_pgdir[0], which check_page and
// check_page_installed_pgdir populate with test mappings.
void
free_test_tables()
{
	pte_t *pml4e = &kern_pgdir[0];
	if (!(*pml4e & PTE_P))
		return;
	auto *pdpt = static_cast<pte_t *>(KADDR(PTE_ADDR(*pml4e)));
	auto *pd = static_cast<pte_t *>(KADDR(PTE_ADDR(pdpt[0])));
	pa2page(PTE_ADDR(pd[0]))->pp_ref = 0;
	page_free(pa2page(PTE_ADDR(pd[0])));
	pa2page(PTE_ADDR(pdpt[0]))->pp_ref = 0;
	page_free(pa2page(PTE_ADDR(pdpt[0])));
	pa2page(PTE_ADDR(*pml4e))->pp_ref = 0;
	page_free(pa2page(PTE_ADDR(*pml4e)));
	*pml4e = 0;
	// Drop any cached translations through the freed tables.
	if (rcr3() == PADDR(kern_pgdir))
		lcr3(rcr3());
}

// page_insert, page_remove, etc. Mappings at va 0 and PGSIZE need three
// new tables (PDPT, PD, PT) under kern_pgdir[0], which starts empty.
void
check_page()
{
	PageInfo *t[3], *pp0, *pp1, *pp2;
	pte_t *ptep;

	for (PageInfo *&p : t)
		assert((p = page_alloc(0)));
	assert((pp0 = page_alloc(0)));
	assert((pp1 = page_alloc(0)));
	assert((pp2 = page_alloc(0)));
	assert(!(kern_pgdir[0] & PTE_P));

	// Temporarily steal the rest of the free pages.
	PageInfo *fl = page_free_list;
	page_free_list = nullptr;
	assert(!page_alloc(0));

	// Nothing is mapped at address 0.
	assert(page_lookup(kern_pgdir, 0x0, &ptep) == nullptr);
	// No free memory, so no page tables: the insert must fail cleanly.
	assert(page_insert(kern_pgdir, pp1, 0x0, PTE_W) < 0);
	assert(pp1->pp_ref == 0);

	// With exactly three free pages it succeeds, and uses all three.
	page_free(t[0]);
	page_free(t[1]);
	page_free(t[2]);
	// Looking up makes no tables, even where there are pages for them.
	assert(page_lookup(kern_pgdir, 0x0, nullptr) == nullptr);
	assert(!(kern_pgdir[0] & PTE_P));
	assert(page_insert(kern_pgdir, pp1, 0x0, PTE_W) == 0);
	assert(!page_alloc(0));
	for (PageInfo *p : t)
		assert(p->pp_ref == 1);
	pte_t pml4e = kern_pgdir[0];
	auto *pdpt = static_cast<pte_t *>(KADDR(PTE_ADDR(pml4e)));
	auto *pd = static_cast<pte_t *>(KADDR(PTE_ADDR(pdpt[0])));
	auto *pt = static_cast<pte_t *>(KADDR(PTE_ADDR(pd[0])));
	assert(PTE_ADDR(pml4e) != PTE_ADDR(pdpt[0]) && PTE_ADDR(pdpt[0]) != PTE_ADDR(pd[0]));
	for (PageInfo *p : t)
		assert(page2pa(p) == PTE_ADDR(pml4e) || page2pa(p) == PTE_ADDR(pdpt[0]) ||
		       page2pa(p) == PTE_ADDR(pd[0]));
	assert(check_va2pa(kern_pgdir, 0x0) == page2pa(pp1));
	assert(pp1->pp_ref == 1);

	// A second page in the same page table needs no new table.
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W) == 0);
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp2));
	assert(pp2->pp_ref == 1);
	assert(!page_alloc(0));
	// An entry that is not present maps nothing, though its table is there.
	assert(page_lookup(kern_pgdir, 2 * PGSIZE, &ptep) == nullptr);

	// Mapping the same page at the same place again changes nothing.
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W) == 0);
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp2));
	assert(pp2->pp_ref == 1);
	assert(!page_alloc(0));

	// pgdir_walk returns the right PTE.
	assert(pgdir_walk(kern_pgdir, PGSIZE, 0) == pt + PTX(PGSIZE));

	// Permissions change in place; upper levels let PTE_U through.
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W | PTE_U) == 0);
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp2));
	assert(pp2->pp_ref == 1);
	assert(*pgdir_walk(kern_pgdir, PGSIZE, 0) & PTE_U);
	assert(kern_pgdir[0] & PTE_U);
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W) == 0);
	assert(*pgdir_walk(kern_pgdir, PGSIZE, 0) & PTE_W);
	assert(!(*pgdir_walk(kern_pgdir, PGSIZE, 0) & PTE_U));
	// PTE_NX is bit 63 of the entry, and no part of the page's address.
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W | PTE_NX) == 0);
	assert((*pgdir_walk(kern_pgdir, PGSIZE, 0) & PTE_NX) == nx_bit);
	assert(page_lookup(kern_pgdir, PGSIZE, &ptep) == pp2);
	assert(ptep == pgdir_walk(kern_pgdir, PGSIZE, 0));
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W) == 0);
	assert(pp2->pp_ref == 1);

	// A mapping under another PD entry needs a new page table: none is free.
	assert(page_insert(kern_pgdir, pp0, PTSIZE, PTE_W) < 0);
	assert(pp0->pp_ref == 0);

	// Replacing pp2 with pp1 at PGSIZE frees pp2.
	assert(page_insert(kern_pgdir, pp1, PGSIZE, PTE_W) == 0);
	assert(!(*pgdir_walk(kern_pgdir, PGSIZE, 0) & PTE_U));
	assert(check_va2pa(kern_pgdir, 0) == page2pa(pp1));
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp1));
	assert(pp1->pp_ref == 2);
	assert(pp2->pp_ref == 0);
	PageInfo *pp;
	assert((pp = page_alloc(0)) && pp == pp2);

	// Unmapping pp1 at 0 keeps it mapped at PGSIZE.
	page_remove(kern_pgdir, 0x0);
	assert(check_va2pa(kern_pgdir, 0x0) == ~0UL);
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp1));
	assert(pp1->pp_ref == 1);
	assert(pp2->pp_ref == 0);

	// Inserting pp1 where it already is must not free it on the way.
	assert(page_insert(kern_pgdir, pp1, PGSIZE, 0) == 0);
	assert(pp1->pp_ref);
	assert(pp1->pp_link == nullptr);

	// Unmapping it at PGSIZE frees it.
	page_remove(kern_pgdir, PGSIZE);
	assert(check_va2pa(kern_pgdir, 0x0) == ~0UL);
	assert(check_va2pa(kern_pgdir, PGSIZE) == ~0UL);
	assert(pp1->pp_ref == 0);
	assert(pp2->pp_ref == 0);
	assert((pp = page_alloc(0)) && pp == pp1);
	assert(!page_alloc(0));

	// Give back the stolen free list, then the tables (freed onto the
	// stolen list's stand-in, they would be lost with it).
	page_free_list = fl;
	free_test_tables();
	page_free(pp0);
	page_free(pp1);
	page_free(pp2);

	// mmio_map_region: page-aligned, below MMIOLIM, and not overlapping.
	auto mm1 = reinterpret_cast<uintptr_t>(mmio_map_region(0, 4097));
	auto mm2 = reinterpret_cast<uintptr_t>(mmio_map_region(0, 4096));
	assert(mm1 >= MMIOBASE && mm1 + 8192 < MMIOLIM);
	assert(mm2 >= MMIOBASE && mm2 + 8192 < MMIOLIM);
	assert(mm1 % PGSIZE == 0 && mm2 % PGSIZE == 0);
	assert(mm1 + 8192 <= mm2);
	assert(check_va2pa(kern_pgdir, mm1) == 0);
	assert(check_va2pa(kern_pgdir, mm1 + PGSIZE) == PGSIZE);
	assert(check_va2pa(kern_pgdir, mm2) == 0);
	assert(check_va2pa(kern_pgdir, mm2 + PGSIZE) == ~0UL);
	assert((*pgdir_walk(kern_pgdir, mm1, 0) & (PTE_W | PTE_PWT | PTE_PCD)) ==
	       (PTE_W | PTE_PWT | PTE_PCD));
	assert(!(*pgdir_walk(kern_pgdir, mm1, 0) & PTE_U));
	// Clear the mappings (their page tables stay, as JOS's do).
	*pgdir_walk(kern_pgdir, mm1, 0) = 0;
	*pgdir_walk(kern_pgdir, mm1 + PGSIZE, 0) = 0;
	*pgdir_walk(kern_pgdir, mm2, 0) = 0;
	cprintf("check_page() succeeded!\n");
}

// page_insert and page_remove through the page table that is now loaded:
// writes through the new mappings must land in the right pages.
void
check_page_installed_pgdir()
{
	PageInfo *pp0, *pp1, *pp2, *pp3;
	assert((pp0 = page_alloc(0)));
	assert((pp1 = page_alloc(0)));
	assert((pp2 = page_alloc(0)));
	assert((pp3 = page_alloc(0)));
	page_free(pp0);
	memset(page2kva(pp1), 1, PGSIZE);
	memset(page2kva(pp2), 2, PGSIZE);
	memset(page2kva(pp3), 4, PGSIZE);
	auto *va = reinterpret_cast<volatile uint32_t *>(PGSIZE);
	assert(page_insert(kern_pgdir, pp1, PGSIZE, PTE_W) == 0);
	assert(pp1->pp_ref == 1);
	assert(*va == 0x01010101U);
	assert(page_insert(kern_pgdir, pp2, PGSIZE, PTE_W) == 0);
	assert(*va == 0x02020202U);
	assert(pp2->pp_ref == 1);
	assert(pp1->pp_ref == 0);
	*va = 0x03030303U;
	assert(*static_cast<uint32_t *>(page2kva(pp2)) == 0x03030303U);
	page_remove(kern_pgdir, PGSIZE);
	assert(pp2->pp_ref == 0);
	// The translation page_remove dropped has left the TLB too: *va went
	// through it above, and pp3, mapped there now (a new entry, which
	// page_insert need not invalidate), is what *va reaches.
	assert(page_insert(kern_pgdir, pp3, PGSIZE, PTE_W) == 0);
	assert(*va == 0x04040404U);
	page_remove(kern_pgdir, PGSIZE);
	assert(pp3->pp_ref == 0);
	// pp1, pp2 and pp3 went back to the free list when their last reference
	// went; the tables (pp0 among them) are freed here.
	free_test_tables();
	cprintf("check_page_installed_pgdir() succeeded!\n");
}

void
map_kernel_image()
{
	auto text = reinterpret_cast<uintptr_t>(__text_start);
	auto rodata = reinterpret_cast<uintptr_t>(__rodata_start);
	auto data = reinterpret_cast<uintptr_t>(__data_start);
	boot_map_region(kern_pgdir, text, ROUNDUP(reinterpret_cast<uintptr_t>(etext), PGSIZE) - text,
			text - KERNBASE, 0);
	boot_map_region(kern_pgdir, rodata,
			ROUNDUP(reinterpret_cast<uintptr_t>(__rodata_end), PGSIZE) - rodata,
			rodata - KERNBASE, PTE_NX);
	boot_map_region(kern_pgdir, data, KERNBASE + image_end() - data, data - KERNBASE,
			PTE_W | PTE_NX);
	// What boot_alloc handed out, at the addresses it returned.
	BootAllocation a[kMaxBootAllocations];
	for (int i = 0, n = boot_allocations(a); i < n; i++)
		boot_map_region(kern_pgdir, KERNBASE + a[i].pa, a[i].len, a[i].pa, PTE_W | PTE_NX);
}

// The direct map: the first MiB (BIOS data, VGA, the AP trampoline),
// every RAM range of the firmware map and the console's framebuffer. Other firmware ranges are mapped on
// demand by phys_map().
void
map_direct()
{
	// LAB 2 EXERCISE kernel_mappings BEGIN
	// The kernel's page table, part 2: the direct map. Physical address
	// pa is at DIRECTMAP + pa (KADDR): map every range of RAM the firmware
	// reports (boot_info.mmap[]: types MEM_USABLE, MEM_ACPI, MEM_NVS),
	// whole pages, up to DIRECTMAPSIZE, writable by the kernel only and
	// not executable, in 2 MiB pages where possible (PTE_PS); and the
	// first MiB (BIOS data, VGA, the AP trampoline: EXTPHYSMEM bytes).
	//> lab_todo(2, "the direct map (map_direct in kern/pmap.cc)");
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		if (r.type != MEM_USABLE && r.type != MEM_ACPI && r.type != MEM_NVS)
			continue;
		physaddr_t start = ROUNDDOWN(r.base, PGSIZE);
		physaddr_t stop = MIN(ROUNDUP(r.base + r.len, PGSIZE), DIRECTMAPSIZE);
		if (stop > start)
			boot_map_region(kern_pgdir, DIRECTMAP + start, stop - start, start,
					PTE_W | PTE_NX | PTE_PS);
	}
	boot_map_region(kern_pgdir, DIRECTMAP, EXTPHYSMEM, 0, PTE_W | PTE_NX);
	// LAB 2 EXERCISE kernel_mappings END
	// The framebuffer the console draws into (not RAM, so not above).
	uint64_t fb_len;
	if (physaddr_t fb = cons_framebuffer(&fb_len))
		boot_map_region(kern_pgdir, DIRECTMAP + ROUNDDOWN(fb, PGSIZE),
				ROUNDUP(fb + fb_len, PGSIZE) - ROUNDDOWN(fb, PGSIZE),
				ROUNDDOWN(fb, PGSIZE), PTE_W | PTE_NX);
}

Spinlock mmio_lock("mmio");

// Backs [va, va+size) with freshly allocated pages, kernel RW, no execute.
[[maybe_unused]] void
map_fresh_pages(uintptr_t va, size_t size)
{
	for (size_t off = 0; off < size; off += PGSIZE) {
		PageInfo *pp = page_alloc(ALLOC_ZERO);
		if (pp == nullptr)
			panic("out of memory mapping kernel stack page %#lx", va + off);
		if (page_insert(kern_pgdir, pp, va + off, PTE_W | PTE_NX) < 0)
			panic("out of memory for page tables mapping %#lx", va + off);
	}
}

} // namespace

// ---------------------------------------------------------------------------

physaddr_t
_paddr(const char *file, int line, const void *kva)
{
	auto va = reinterpret_cast<uintptr_t>(kva);
	if (va >= KERNBASE)
		return va - KERNBASE;
	if (va >= DIRECTMAP && va < DIRECTMAP + DIRECTMAPSIZE)
		return va - DIRECTMAP;
	_panic(file, line, "PADDR called with invalid kva %#lx", va);
}

void *
_kaddr(const char *file, int line, physaddr_t pa)
{
	if (pa >= kaddr_limit)
		_panic(file, line, "KADDR called with invalid pa %#lx", pa);
	return reinterpret_cast<void *>(pa + DIRECTMAP);
}

void
mem_init()
{
	nx_bit = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	detect_memory();
	compute_free_spans();

	kern_pgdir = static_cast<pte_t *>(boot_alloc(PGSIZE));
	memset(kern_pgdir, 0, PGSIZE);
	// The page table itself, read-only to users at UVPT (recursive slot).
	kern_pgdir[PML4X(UVPT)] = PADDR(kern_pgdir) | PTE_U | PTE_P | nx_bit;

	// LAB 2 EXERCISE mem_init_pages BEGIN
	// One PageInfo per physical page, npages of them, in `pages`: take the
	// array from boot_alloc and zero it.
	//> lab_todo(2, "the pages array (mem_init in kern/pmap.cc)");
	pages = static_cast<PageInfo *>(boot_alloc(npages * sizeof(PageInfo)));
	memset(pages, 0, npages * sizeof(PageInfo));
	// LAB 2 EXERCISE mem_init_pages END
	// LAB 3 EXERCISE mem_init_envs BEGIN
	// The environments, NENV of them, in `envs`: as `pages` above.
	envs = static_cast<Env *>(boot_alloc(NENV * sizeof(Env)));
	memset(envs, 0, NENV * sizeof(Env));
	// LAB 3 EXERCISE mem_init_envs END
	report_boot_allocations();

	page_init();
	boot_phase("page_init");
	check_page_free_list(true);
	boot_phase("check_page_free_list 1");
	check_page_alloc();
	boot_phase("check_page_alloc");
	check_page();
	boot_phase("check_page");

	// LAB 2 EXERCISE kernel_mappings BEGIN
	// The kernel's page table, part 1 (map_direct has part 2):
	// - the pages array, read-only to users at UPAGES (PTE_U, not
	//   PTE_W, and not executable: PTE_NX);
	// - CPU 0's kernel stack: KSTKSIZE bytes ending at KSTACKTOP
	//   (kstack_bottom(0) to kstack_top(0)), writable by the kernel only,
	//   backed by fresh pages (map_fresh_pages), with the KSTKGAP below it
	//   left unmapped: running off its bottom must fault.
	//> lab_todo(2, "the kernel's mappings (mem_init in kern/pmap.cc)");
	boot_map_region(kern_pgdir, UPAGES, ROUNDUP(npages * sizeof(PageInfo), PGSIZE),
			PADDR(pages), PTE_U | PTE_NX);
	map_fresh_pages(kstack_bottom(0), KSTKSIZE);
	// LAB 2 EXERCISE kernel_mappings END
	// CPU 0's interrupt stacks (double faults, NMIs), each over a guard.
	for (int k = 1; k <= NIST; k++)
		map_fresh_pages(ist_top(0, k) - ISTSIZE, ISTSIZE);
	// LAB 3 EXERCISE mem_init_envs BEGIN
	// The environments, read-only to users at UENVS, as the pages array.
	if (envs != nullptr)
		boot_map_region(kern_pgdir, UENVS, ROUNDUP(NENV * sizeof(Env), PGSIZE),
				PADDR(envs), PTE_U | PTE_NX);
	// LAB 3 EXERCISE mem_init_envs END
	map_kernel_image();
	map_direct();
	boot_phase("kernel page table");

	// Checked before it is loaded, as JOS does: a table that leaves out
	// what the console writes to (VGA text in the first MiB) would fault
	// the moment the check tried to say so.
	kaddr_limit = npages * PGSIZE;
	check_kern_pgdir();
	boot_phase("check_kern_pgdir");
	load_pgdir(kern_pgdir);
	check_page_free_list(false);
	boot_phase("check_page_free_list 2");
	check_page_installed_pgdir();
	boot_phase("check_page_installed");
	cprintf("Physical memory: %lu pages free of %lu (%luK)\n", page_free_count(), npages,
		page_free_count() * PGSIZE / 1024);
}

// Maps the kernel stack and IST stacks of every CPU mp_init found. Each
// stack gets its own pages; the gap below each stays unmapped, so running
// off the bottom of a stack faults instead of corrupting a neighbour.
void
mem_init_mp()
{
	// LAB 4 EXERCISE mem_init_mp BEGIN
	// Map the stacks of the other CPUs mp_init found (CPU 0's are there
	// since mem_init; ncpu CPUs in all). CPU i's
	// kernel stack is [kstack_bottom(i), kstack_top(i)), KSTKSIZE bytes at
	// KSTACKTOP - i * (KSTKSIZE + KSTKGAP), with the KSTKGAP below it left
	// unmapped as a guard. Its NIST interrupt stacks end at ist_top(i, k),
	// ISTSIZE bytes each over an ISTGAP guard. map_fresh_pages() backs a
	// range with new pages; check_kern_pgdir() checks what you mapped.
	//> panic("mem_init_mp: per-CPU kernel stacks are not implemented (LAB 4 exercise)");
	for (int i = 1; i < ncpu; i++) {
		map_fresh_pages(kstack_bottom(i), KSTKSIZE);
		for (int k = 1; k <= NIST; k++)
			map_fresh_pages(ist_top(i, k) - ISTSIZE, ISTSIZE);
	}
	// LAB 4 EXERCISE mem_init_mp END
}

// Builds the free list from the firmware memory map: a page is free if it
// lies in one of the free spans (see compute_free_spans: usable RAM minus
// page 0, MPENTRY_PADDR, the legacy hole, the kernel and boot structures,
// and minus what boot_alloc took from them since). Pages are pushed in
// address order, so the list starts at the highest page, as JOS's does.
void
page_init()
{
	page_init_done = true;

	// LAB 2 EXERCISE page_init BEGIN
	// Build the free list. free_spans[0 .. nfree_spans) hold the free
	// memory: address-ordered [base, end) ranges of usable RAM without
	// page 0, the legacy hole, the kernel image and what the loader keeps
	// (compute_free_spans), and without what boot_alloc took from them
	// since. So the memory boot_alloc handed out is kept as the kernel
	// image is, wherever it lies: JOS's "everything below boot_alloc(0) is
	// in use" would not keep it. Every page in a span is free: pp_ref 0,
	// pushed on page_free_list (pp_link). Every other page of
	// pages[0 .. npages) is in use: pp_ref 1, pp_link nullptr, so that
	// page_free never takes it. Go in address order: the list then starts
	// at the highest free page, as JOS's does.
	//> lab_todo(2, "page_init (kern/pmap.cc)");
	page_free_list = nullptr;
	size_t i = 0;
	for (int k = 0; k < nfree_spans; k++) {
		for (; i < PGNUM(free_spans[k].base); i++)
			pages[i] = PageInfo{nullptr, 1};	// kept: in use
		for (; i < PGNUM(free_spans[k].end); i++) {
			pages[i] = PageInfo{page_free_list, 0};
			page_free_list = &pages[i];
		}
	}
	for (; i < npages; i++)
		pages[i] = PageInfo{nullptr, 1};
	// LAB 2 EXERCISE page_init END
}

// Allocates a physical page; with ALLOC_ZERO it is zeroed, with ALLOC_LOW
// it lies below 4 GiB. Does not touch pp_ref: the caller does (as
// page_insert does). Returns nullptr when out of memory.
PageInfo *
page_alloc(int alloc_flags)
{
	// LAB 2 EXERCISE page_alloc BEGIN
	// Take a page off page_free_list: set its pp_link to nullptr (that
	// is how page_free knows it is in use) and leave pp_ref alone (the
	// caller counts references). With ALLOC_ZERO, fill it with zeroes
	// through its kernel address (page2kva). With ALLOC_LOW, take the
	// first page of the list below 4 GiB (page2pa) instead of the first.
	// Out of memory: nullptr.
	//> (void)alloc_flags;
	//> lab_todo(2, "page_alloc (kern/pmap.cc)");
	PageInfo **link = &page_free_list;
	if (alloc_flags & ALLOC_LOW)
		while (*link && page2pa(*link) >= 0x100000000UL)
			link = &(*link)->pp_link;
	PageInfo *pp = *link;
	if (pp == nullptr)
		return nullptr;
	*link = pp->pp_link;
	pp->pp_link = nullptr;
	if (alloc_flags & ALLOC_ZERO)
		memset(page2kva(pp), 0, PGSIZE);
	return pp;
	// LAB 2 EXERCISE page_alloc END
}

void
page_free(PageInfo *pp)
{
	// LAB 2 EXERCISE page_free BEGIN
	// Put pp back on page_free_list. A page still referenced (pp_ref) or
	// already free (pp_link set) is a kernel bug: panic, naming it.
	//> (void)pp;
	//> lab_todo(2, "page_free (kern/pmap.cc)");
	if (pp->pp_ref != 0)
		panic("page_free: page %#lx still has %lu references", page2pa(pp), pp->pp_ref);
	if (pp->pp_link != nullptr)
		panic("page_free: page %#lx is already free", page2pa(pp));
	pp->pp_link = page_free_list;
	page_free_list = pp;
	// LAB 2 EXERCISE page_free END
}

void
page_decref(PageInfo *pp)
{
	if (pp->pp_ref == 0)
		panic("page_decref: page %#lx has no references to drop", page2pa(pp));
	if (--pp->pp_ref == 0)
		page_free(pp);
}

size_t
page_free_count()
{
	size_t n = 0;
	for (PageInfo *pp = page_free_list; pp; pp = pp->pp_link)
		n++;
	return n;
}

// The PTE for va, or nullptr if its page table is missing (and create is 0
// or memory ran out). If a 2 MiB page maps va, its PD entry is returned.
pte_t *
pgdir_walk(pte_t *pgdir, uintptr_t va, int create)
{
	return walk(pgdir, va, 1, create != 0);
}

void
boot_map_region(pte_t *pgdir, uintptr_t va, size_t size, physaddr_t pa, uint64_t perm)
{
	// LAB 2 EXERCISE boot_map_region BEGIN
	// Map [va, va+size) to [pa, pa+size): each page's entry (walk at level
	// 1, creating tables) gets pa | perm | PTE_P. Static mappings of the
	// kernel's own: no pp_ref counting. PTE_NX in perm means nx_bit
	// (0 on a CPU without NX, where bit 63 must stay clear). Unaligned
	// arguments are a bug (panic). PTE_PS in perm asks for 2 MiB pages
	// (a page-directory entry, walk at level 2, with PTE_PS) wherever va,
	// pa and what is left of size allow; elsewhere, and under a page table
	// already there, 4 KiB pages. An entry inside a 2 MiB page that is
	// already there must map the same place.
	//> (void)pgdir, (void)va, (void)size, (void)pa, (void)perm;
	//> lab_todo(2, "boot_map_region (kern/pmap.cc)");
	bool huge = perm & PTE_PS;
	perm = (perm & ~(PTE_PS | PTE_NX)) | ((perm & PTE_NX) ? nx_bit : 0);
	if (va % PGSIZE || pa % PGSIZE || size % PGSIZE)
		panic("boot_map_region: unaligned va %#lx pa %#lx size %#lx", va, pa, size);
	while (size > 0) {
		if (huge && va % PTSIZE == 0 && pa % PTSIZE == 0 && size >= PTSIZE) {
			pte_t *pde = walk(pgdir, va, 2, true);
			if (pde == nullptr)
				panic("boot_map_region: out of memory at %#lx", va);
			// A page table already there (from 4 KiB mappings) stays.
			if (!(*pde & PTE_P) || (*pde & PTE_PS)) {
				*pde = pa | perm | PTE_P | PTE_PS;
				va += PTSIZE, pa += PTSIZE, size -= PTSIZE;
				continue;
			}
		}
		pte_t *pte = walk(pgdir, va, 1, true);
		if (pte == nullptr)
			panic("boot_map_region: out of memory at %#lx", va);
		if (*pte & PTE_PS) {
			// Already inside a 2 MiB page; it must map the same place.
			if (PTE_ADDR(*pte) + (va & (PTSIZE - 1)) != pa)
				panic("boot_map_region: %#lx is already mapped elsewhere", va);
		} else {
			*pte = pa | perm | PTE_P;
		}
		va += PGSIZE, pa += PGSIZE, size -= PGSIZE;
	}
	// LAB 2 EXERCISE boot_map_region END
}

PageInfo *
page_lookup(pte_t *pgdir, uintptr_t va, pte_t **pte_store)
{
	// LAB 2 EXERCISE page_lookup BEGIN
	// The page mapped at va (pa2page of the entry's address), or nullptr
	// if none; with pte_store, store the entry's address there too. In a
	// 2 MiB page, the 4 KiB page of va inside it.
	//> (void)pgdir, (void)va, (void)pte_store;
	//> lab_todo(2, "page_lookup (kern/pmap.cc)");
	pte_t *pte = pgdir_walk(pgdir, va, 0);
	if (pte == nullptr || !(*pte & PTE_P))
		return nullptr;
	if (pte_store)
		*pte_store = pte;
	if (*pte & PTE_PS)
		return pa2page((PTE_ADDR(*pte) & ~(PTSIZE - 1)) + (va & (PTSIZE - 1) & ~(PGSIZE - 1UL)));
	return pa2page(PTE_ADDR(*pte));
	// LAB 2 EXERCISE page_lookup END
}

void
page_remove(pte_t *pgdir, uintptr_t va)
{
	// LAB 2 EXERCISE page_remove BEGIN
	// Unmap the page at va (nothing mapped: nothing to do): clear the
	// entry, invalidate the TLB entry (tlb_invalidate), and drop the
	// page's reference (page_decref, which frees it at zero). Entries
	// inside a 2 MiB mapping are the kernel's own: a bug (panic).
	//> (void)pgdir, (void)va;
	//> lab_todo(2, "page_remove (kern/pmap.cc)");
	pte_t *pte;
	PageInfo *pp = page_lookup(pgdir, va, &pte);
	if (pp == nullptr)
		return;
	if (*pte & PTE_PS)
		panic("page_remove: %#lx is inside a 2 MiB mapping", va);
	// No CPU may still reach the page through its TLB when its last
	// reference goes (it could be handed out again at once).
	*pte = 0;
	tlb_invalidate(pgdir, va);
	page_decref(pp);
	// LAB 2 EXERCISE page_remove END
}

int
page_insert(pte_t *pgdir, PageInfo *pp, uintptr_t va, uint64_t perm)
{
	// LAB 2 EXERCISE page_insert BEGIN
	// Map pp at va with perm | PTE_P (PTE_NX meaning nx_bit, as in
	// boot_map_region), creating tables (-E_NO_MEM if none can be made; an
	// entry inside a 2 MiB mapping: -E_INVAL). Count the new reference.
	// A page already there is replaced: the old translation must leave
	// every TLB (tlb_invalidate) before the old page loses its reference.
	// Mind the corner case: pp may be the page already mapped at va (with
	// other permissions), and must not be freed on the way.
	//> (void)pgdir, (void)pp, (void)va, (void)perm;
	//> lab_todo(2, "page_insert (kern/pmap.cc)");
	pte_t *pte = pgdir_walk(pgdir, va, 1);
	if (pte == nullptr)
		return -E_NO_MEM;
	if (*pte & PTE_PS)
		return -E_INVAL;
	// Take the new reference first: re-inserting the page already mapped
	// here (with other permissions) must not free it.
	pp->pp_ref++;
	pte_t old = *pte;
	*pte = page2pa(pp) | (perm & ~PTE_NX) | ((perm & PTE_NX) ? nx_bit : 0) | PTE_P;
	if (old & PTE_P) {
		// A present entry changed: drop the old translation everywhere,
		// then the old page's reference. (A new entry needs no
		// invalidation: TLBs never hold not-present translations.)
		tlb_invalidate(pgdir, va);
		page_decref(pa2page(PTE_ADDR(old)));
	}
	return 0;
	// LAB 2 EXERCISE page_insert END
}

void
load_pgdir(pte_t *pgdir)
{
	Cpu *c = thiscpu;
	// Writing CR3 flushes the TLB: skip it when the table is already there.
	if (c->cpu_pgdir != pgdir || rcr3() != PADDR(pgdir))
		lcr3(PADDR(pgdir));
	c->cpu_pgdir = pgdir;
}

// Invalidates va's translation on this CPU, if it uses pgdir, and on every
// other CPU that has pgdir loaded (tlb_shootdown).
void
tlb_invalidate(pte_t *pgdir, uintptr_t va)
{
	if (rcr3() == PADDR(pgdir))
		invlpg(va);
	tlb_shootdown(pgdir, va);
}

void *
mmio_map_region(physaddr_t pa, size_t size)
{
	static uintptr_t base = MMIOBASE;
	SpinlockGuard guard(mmio_lock);
	physaddr_t start = ROUNDDOWN(pa, PGSIZE);
	size_t len = ROUNDUP(pa + size, PGSIZE) - start;
	if (len > MMIOLIM - base)
		panic("mmio_map_region: %#lx bytes at %#lx do not fit below MMIOLIM", len, pa);
	boot_map_region(kern_pgdir, base, len, start, PTE_W | PTE_PCD | PTE_PWT | PTE_NX);
	void *ret = reinterpret_cast<void *>(base + (pa - start));
	base += len;
	return ret;
}

const void *
phys_map(physaddr_t pa, size_t len)
{
	if (len == 0 || pa + len < pa || pa + len > DIRECTMAPSIZE)
		return nullptr;
	if (kern_pgdir == nullptr || rcr3() != PADDR(kern_pgdir)) {
		// Still on the boot tables, which map the low 4 GiB.
		return pa + len <= EARLY_MAP_LIMIT ? reinterpret_cast<void *>(DIRECTMAP + pa) : nullptr;
	}
	SpinlockGuard guard(mmio_lock);
	for (physaddr_t p = ROUNDDOWN(pa, PGSIZE); p < pa + len; p += PGSIZE)
		if (!kva_mapped(DIRECTMAP + p))
			boot_map_region(kern_pgdir, DIRECTMAP + p, PGSIZE, p, PTE_NX);
	return reinterpret_cast<void *>(DIRECTMAP + pa);
}

size_t
free_page_count()
{
	size_t n = 0;
	for (PageInfo *pp = page_free_list; pp; pp = pp->pp_link)
		n++;
	return n;
}

bool
kva_mapped(uintptr_t va)
{
	Mapping m;
	auto *pml4 = reinterpret_cast<pte_t *>(DIRECTMAP + PTE_ADDR(rcr3()));
	return lookup_mapping(pml4, va, &m);
}

// ---------------------------------------------------------------------------
// check_kern_pgdir: the kernel's address space is what memlayout.h says.

namespace {

void
check_range(uintptr_t va, size_t size, physaddr_t pa, uint64_t want, uint64_t unwanted,
	    const char *what)
{
	for (size_t off = 0; off < size;) {
		Mapping m;
		if (!lookup_mapping(kern_pgdir, va + off, &m))
			panic("check_kern_pgdir: %s: %#lx is not mapped", what, va + off);
		if (pa != ~0UL && m.pa != pa + off)
			panic("check_kern_pgdir: %s: %#lx maps %#lx, expected %#lx", what,
			      va + off, m.pa, pa + off);
		if ((m.flags & want) != want || (m.flags & unwanted))
			panic("check_kern_pgdir: %s: %#lx has flags %#lx", what, va + off, m.flags);
		// Step to the end of this mapping (2 MiB pages check in one go).
		off += m.size - ((va + off) & (m.size - 1));
	}
}

void
check_unmapped(uintptr_t va, size_t size, const char *what)
{
	for (size_t off = 0; off < size;) {
		Mapping m;
		if (lookup_mapping(kern_pgdir, va + off, &m))
			panic("check_kern_pgdir: %s: %#lx should be unmapped", what, va + off);
		off += m.size - ((va + off) & (m.size - 1));	// skip the whole hole
	}
}

void
check_stack(uintptr_t bottom, size_t size, const char *what)
{
	check_range(bottom, size, ~0UL, PTE_W | nx_bit, PTE_U, what);
	for (size_t off = 0; off < size; off += PGSIZE)
		if (pa2page(check_va2pa(kern_pgdir, bottom + off))->pp_ref == 0)
			panic("check_kern_pgdir: %s: %#lx is backed by a free page", what,
			      bottom + off);
}

// page_lookup inside a 2 MiB page of the direct map (the first one that
// map_direct made, if it made any): the 4 KiB page of va within it, and
// the page-directory entry as its PTE.
void
check_huge_lookup()
{
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		physaddr_t pa = ROUNDUP(r.base, PTSIZE);
		if (r.type != MEM_USABLE || pa + PTSIZE > r.base + r.len || pa + PTSIZE > DIRECTMAPSIZE)
			continue;
		pte_t *pde = walk(kern_pgdir, DIRECTMAP + pa, 2, false);
		if (pde == nullptr || !(*pde & PTE_PS))
			continue;
		pte_t *pte = nullptr;
		if (page_lookup(kern_pgdir, DIRECTMAP + pa + 5 * PGSIZE + 8, &pte) !=
		    pa2page(pa + 5 * PGSIZE) || pte != pde)
			panic("check_kern_pgdir: page_lookup of %#lx, in the 2 MiB page at %#lx, "
			      "does not give its 4 KiB page %#lx", DIRECTMAP + pa + 5 * PGSIZE + 8,
			      DIRECTMAP + pa, pa + 5 * PGSIZE);
		return;
	}
}

} // namespace

void
check_kern_pgdir()
{
	// Pages array, user read-only at UPAGES.
	check_range(UPAGES, ROUNDUP(npages * sizeof(PageInfo), PGSIZE), PADDR(pages),
		    PTE_U | nx_bit, PTE_W, "UPAGES");
	if (envs != nullptr)		// lab 3 allocates them
		check_range(UENVS, ROUNDUP(NENV * sizeof(Env), PGSIZE), PADDR(envs),
			    PTE_U | nx_bit, PTE_W, "UENVS");

	// Direct map of all RAM.
	for (int i = 0; i < boot_info.nmmap; i++) {
		const MemRegion &r = boot_info.mmap[i];
		if (r.type != MEM_USABLE)
			continue;
		physaddr_t start = ROUNDUP(r.base, PGSIZE);
		physaddr_t stop = ROUNDDOWN(r.base + r.len, PGSIZE);
		if (stop > start)
			check_range(DIRECTMAP + start, stop - start, start, PTE_W | nx_bit, PTE_U,
				    "direct map");
	}
	// The first MiB, whatever the map says of it: the VGA text buffer
	// (0xB8000) the console writes to under a BIOS, and the ROM and BIOS
	// data where the MP tables and the RSDP are looked for. A boot that
	// reaches either without it faults, with no console to say so.
	check_range(DIRECTMAP, EXTPHYSMEM, 0, PTE_W | nx_bit, PTE_U,
		    "direct map of the first MiB (VGA text, BIOS data and ROM)");
	check_huge_lookup();

	// Kernel image: text R-X, rodata R--, data RW-.
	auto text = reinterpret_cast<uintptr_t>(__text_start);
	auto rodata = reinterpret_cast<uintptr_t>(__rodata_start);
	auto data = reinterpret_cast<uintptr_t>(__data_start);
	check_range(text, reinterpret_cast<uintptr_t>(etext) - text, text - KERNBASE, 0,
		    PTE_W | PTE_U | PTE_NX, "kernel text");
	check_range(rodata, reinterpret_cast<uintptr_t>(__rodata_end) - rodata,
		    rodata - KERNBASE, nx_bit, PTE_W | PTE_U, "kernel rodata");
	check_range(data, KERNBASE + image_end() - data, data - KERNBASE, PTE_W | nx_bit, PTE_U,
		    "kernel data");
	BootAllocation a[kMaxBootAllocations];
	for (int i = 0, n = boot_allocations(a); i < n; i++)
		check_range(KERNBASE + a[i].pa, a[i].len, a[i].pa, PTE_W | nx_bit, PTE_U, a[i].what);

	// Every present CPU's stacks are backed and every gap is not; the
	// slots of absent CPUs (all below the present ones) are empty.
	for (int i = 0; i < ncpu; i++) {
		check_stack(kstack_bottom(i), KSTKSIZE, "kernel stack");
		check_unmapped(kstack_bottom(i) - KSTKGAP, KSTKGAP, "kernel stack guard gap");
		for (int k = 1; k <= NIST; k++) {
			check_stack(ist_top(i, k) - ISTSIZE, ISTSIZE, "IST stack");
			check_unmapped(ist_top(i, k) - ISTSIZE - ISTGAP, ISTGAP, "IST guard gap");
		}
	}
	check_unmapped(ISTSTACKTOP, kstack_top(ncpu) - ISTSTACKTOP, "absent CPUs' kernel stacks");
	check_unmapped(MMIOLIM, ist_top(ncpu, 1) - MMIOLIM, "absent CPUs' IST stacks");

	// The user half holds only the read-only windows (UVPT, UPAGES, UENVS),
	// each in its own PML4 slot above UTOP.
	for (int i = 0; i < NPTENTRIES / 2; i++) {
		bool expected = i == PML4X(UVPT) || i == PML4X(UPAGES) || i == PML4X(UENVS);
		if ((kern_pgdir[i] & PTE_P) && !expected)
			panic("check_kern_pgdir: PML4 slot %d of the user half is in use", i);
		if (i == PML4X(UVPT) && (kern_pgdir[i] & PTE_W))
			panic("check_kern_pgdir: UVPT is writable");
	}
	assert(kern_pgdir[PML4X(DIRECTMAP)] & PTE_P);
	assert(kern_pgdir[PML4X(KERNBASE)] & PTE_P);
	cprintf("check_kern_pgdir() succeeded!\n");
}

// ---------------------------------------------------------------------------
// User memory.

bool smap_enabled;
uintptr_t user_mem_check_addr;

void
mmu_init_percpu()
{
	constexpr uint32_t CPUID7_EBX_SMEP = 1U << 7, CPUID7_EBX_SMAP = 1U << 20;
	uint32_t ebx = cpuid(0).eax >= 7 ? cpuid(7, 0).ebx : 0;
	bool smep = ebx & CPUID7_EBX_SMEP, smap = ebx & CPUID7_EBX_SMAP;
	lcr4(rcr4() | (smep ? CR4_SMEP : 0) | (smap ? CR4_SMAP : 0));
	if (thiscpu == bootcpu) {
		smap_enabled = smap;
		cprintf("mmu: SMEP %s, SMAP %s\n", smep ? "on" : "off (the CPU lacks it)",
			smap ? "on" : "off (the CPU lacks it)");
	}
}

int
user_mem_check(Env *env, const void *va, size_t len, uint64_t perm)
{
	// LAB 3 EXERCISE user_mem_check BEGIN
	// May env touch [va, va+len) with perm | PTE_U | PTE_P? Every page of
	// the range must be mapped in env's page tables with all those bits at
	// every level (lookup_mapping says how the MMU sees an address), and
	// the range must lie below ULIM (mind an overflowing va + len). If
	// not, set user_mem_check_addr to the first address that fails (va
	// itself if that is the one) and return -E_FAULT; else 0.
	//> (void)env, (void)va, (void)len, (void)perm;
	//> lab_todo(3, "user_mem_check (kern/pmap.cc)");
	auto start = reinterpret_cast<uintptr_t>(va);
	uintptr_t end;
	perm |= PTE_U | PTE_P;
	if (__builtin_add_overflow(start, len, &end) || end > ULIM) {
		user_mem_check_addr = MAX(start, ULIM);
		return -E_FAULT;
	}
	for (uintptr_t p = ROUNDDOWN(start, PGSIZE); p < end; p += PGSIZE) {
		Mapping m;
		if (!lookup_mapping(env->env_pgdir, p, &m) || (m.flags & perm) != perm) {
			user_mem_check_addr = MAX(p, start);
			return -E_FAULT;
		}
	}
	return 0;
	// LAB 3 EXERCISE user_mem_check END
}

void
user_mem_assert(Env *env, const void *va, size_t len, uint64_t perm)
{
	if (user_mem_check(env, va, len, perm | PTE_U) < 0) {
		cprintf("[%08x] user_mem_check assertion failure for va %08lx\n", env->env_id,
			user_mem_check_addr);
		env_note_end(env, "it passed the kernel an address it may not use (%08lx)",
			     user_mem_check_addr);
		env_destroy(env);	// may not return
	}
}

void
copy_to_user(void *dst, const void *src, size_t len)
{
	uint64_t flags = read_rflags();
	if (smap_enabled)
		write_rflags(flags | FL_AC);
	memcpy(dst, src, len);
	if (smap_enabled)
		write_rflags(flags);
}

// SMAP allows the access while RFLAGS.AC is set. Set through popfq rather
// than stac/clac: KVM's instruction emulator, which runs this kernel on
// hosts without hardware virtualization (PVM), has no stac.
void
copy_from_user(void *dst, const void *src, size_t len)
{
	uint64_t flags = read_rflags();
	if (smap_enabled)
		write_rflags(flags | FL_AC);
	memcpy(dst, src, len);
	if (smap_enabled)
		write_rflags(flags);
}
