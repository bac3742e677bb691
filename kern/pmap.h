// Physical page allocation and 4-level page tables.
#pragma once

#include <inc/assert.h>
#include <inc/memlayout.h>
#include <kern/bootinfo.h>

extern "C" char bootstacktop[], bootstack[];

extern PageInfo *pages;
extern size_t npages;
extern pte_t *kern_pgdir;

// Kernel virtual <-> physical. Kernel-image addresses (KERNBASE and up) and
// direct-map addresses both translate; anything else is a bug and panics.
physaddr_t _paddr(const char *file, int line, const void *kva);
void *_kaddr(const char *file, int line, physaddr_t pa);
#define PADDR(kva) _paddr(__FILE__, __LINE__, (const void *) (kva))
#define KADDR(pa) _kaddr(__FILE__, __LINE__, (pa))

enum {
	ALLOC_ZERO = 1 << 0,	// page_alloc: fill the page with zeroes
	ALLOC_LOW = 1 << 1,	// page_alloc: the page must lie below 4 GiB
};

void mem_init();
void mem_init_mp();
void check_kern_pgdir();
void page_init();

PageInfo *page_alloc(int alloc_flags);
// How many pages the free list holds now.
size_t free_page_count();
void page_free(PageInfo *pp);
void page_decref(PageInfo *pp);
int page_insert(pte_t *pgdir, PageInfo *pp, uintptr_t va, uint64_t perm);
void page_remove(pte_t *pgdir, uintptr_t va);
PageInfo *page_lookup(pte_t *pgdir, uintptr_t va, pte_t **pte_store);
pte_t *pgdir_walk(pte_t *pgdir, uintptr_t va, int create);
// Maps [va, va+size) to [pa, pa+size) with perm|PTE_P; perm|PTE_PS asks for
// 2 MiB pages wherever va, pa and the remaining size allow it.
void boot_map_region(pte_t *pgdir, uintptr_t va, size_t size, physaddr_t pa, uint64_t perm);
// Drops va's translation through pgdir from every CPU's TLB (this one and,
// through an IPI, every other that has pgdir loaded). Call it after
// changing or removing a present entry, before freeing what it mapped.
void tlb_invalidate(pte_t *pgdir, uintptr_t va);
// Loads pgdir into CR3 on this CPU (unless it is there already) and records
// it in thiscpu->cpu_pgdir, which TLB shootdowns consult.
void load_pgdir(pte_t *pgdir);
// Maps [pa, pa+size) uncached into the MMIO window; returns its address.
void *mmio_map_region(physaddr_t pa, size_t size);
// Makes [pa, pa+len) readable through the direct map (firmware tables that
// lie outside RAM) and returns the kernel address of pa.
const void *phys_map(physaddr_t pa, size_t len);
// True if va is mapped in the page table now loaded in CR3.
bool kva_mapped(uintptr_t va);
// Number of free pages (for boot statistics).
size_t page_free_count();

// Turns on SMEP and SMAP on this CPU where it offers them (the boot CPU
// says which).
void mmu_init_percpu();
extern bool smap_enabled;

struct Env;
// 0 if env may access [va, va+len) with perm (PTE_U is implied), else
// -E_FAULT with the first bad address in user_mem_check_addr.
int user_mem_check(Env *env, const void *va, size_t len, uint64_t perm);
// As user_mem_check; on failure prints JOS's message and destroys env
// (which does not return if env is the current environment).
void user_mem_assert(Env *env, const void *va, size_t len, uint64_t perm);
extern uintptr_t user_mem_check_addr;
// Copies len bytes of user memory that user_mem_check approved (allowed
// by SMAP for the copy only).
void copy_from_user(void *dst, const void *src, size_t len);
// The other way: len bytes to user memory that user_mem_check approved
// (writable), through the page table that is loaded now.
void copy_to_user(void *dst, const void *src, size_t len);

static inline physaddr_t
page2pa(PageInfo *pp)
{
	return static_cast<physaddr_t>(pp - pages) << PGSHIFT;
}

static inline PageInfo *
pa2page(physaddr_t pa)
{
	if (PGNUM(pa) >= npages)
		panic("pa2page called with invalid pa %#lx", pa);
	return &pages[PGNUM(pa)];
}

static inline void *
page2kva(PageInfo *pp)
{
	return KADDR(page2pa(pp));
}
