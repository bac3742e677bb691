// The block cache: the disk, mapped at DISKMAP. A block is read from the
// disk the first time it is used; the page's dirty bit (PTE_D, set by the
// MMU on a write) says whether it must be written back. When memory runs
// short, clean blocks give their pages up (eviction: the disk holds the
// same bytes, and the next use reads them again), except those the request
// being served holds (fs/fs.h).

#include "fs.h"

namespace {

constexpr uint64_t kBlockPerm = PTE_P | PTE_U | PTE_W | PTE_NX;

// The blocks the request being served has used, in the order it first
// did: they stay in the cache until it ends (bc_request_end).
constexpr int kMaxHeld = 64;
uint32_t held[kMaxHeld];
int nheld;

// Where the search for a block to evict goes on from (a clock hand).
uint32_t evict_hand;

void *
block_va(uint32_t blockno)
{
	return reinterpret_cast<void *>(DISKMAP + static_cast<uint64_t>(blockno) * BLKSIZE);
}

bool
is_held(uint32_t blockno)
{
	for (int i = 0; i < nheld; i++)
		if (held[i] == blockno)
			return true;
	return false;
}

void
hold(uint32_t blockno)
{
	if (is_held(blockno))
		return;
	if (nheld == kMaxHeld) {
		// A request that touches this many blocks (a search through a
		// large directory) lets go of the oldest; written back first,
		// if the request changed it, so that nothing it wrote waits.
		flush_block(block_va(held[0]));
		memmove(held, held + 1, sizeof(held[0]) * (kMaxHeld - 1));
		nheld--;
	}
	held[nheld++] = blockno;
}

// Gives va the page of a cached block that the request being served does
// not hold (between requests every block is clean: each request writes
// back what it changed). The superblock and the bitmap stay: the server
// uses them everywhere.
int
evict_to(void *va)
{
	if (fs_nblocks == 0)
		return -E_NO_MEM;	// not mounted: nothing to evict
	uint32_t n = fs_nblocks, first = first_data_block();
	for (uint32_t scanned = 0; scanned < n - first; scanned++, evict_hand++) {
		if (evict_hand < first || evict_hand >= n)
			evict_hand = first;
		void *victim = block_va(evict_hand);
		if (victim == va || !va_is_mapped(victim) || is_held(evict_hand))
			continue;
		if (va_is_dirty(victim))
			flush_block(victim);
		// The victim's page moves to va: it never passes through the
		// kernel's free list, where another environment could take it.
		if (sys_page_map(0, victim, 0, va, kBlockPerm) < 0)
			return -E_NO_MEM;	// no page table for va, even
		sys_page_unmap(0, victim);
		evict_hand++;
		return 0;
	}
	return -E_NO_MEM;
}

// A page fault in the block cache: the block is read in, as bc_load does.
// Only code that uses a block without bc_load gets here (the self-test,
// and the superblock and bitmap the first time); it cannot return an
// error, so a failure is fatal.
void
bc_pgfault(UTrapframe *utf)
{
	uintptr_t addr = utf->utf_fault_va;
	uint32_t blockno = static_cast<uint32_t>((addr - DISKMAP) / BLKSIZE);

	if (addr < DISKMAP || addr >= DISKMAP + DISKSIZE)
		panic("page fault in FS: rip %08lx, va %08lx, err %04lx", utf->utf_rip, addr,
		      utf->utf_err);
	// The file system checks block numbers before it uses them: getting
	// here with a bad one is a bug in the server, not a bad disk. (So is
	// reading a block the bitmap says is free: the file system checks
	// that too, block_ok in fs/fs.cc. The bitmap itself may be read before
	// anything is checked.)
	if (blockno >= (fs_nblocks ? fs_nblocks : disk_nblocks))
		panic("reading non-existent block %08x", blockno);
	int r = bc_read(blockno);
	if (r < 0)
		panic("bc_pgfault: block %u: %s", blockno, error_string(r));
}

} // namespace

int
bc_read(uint32_t blockno)
{
	void *page = block_va(blockno);
	// LAB 5 EXERCISE bc_pgfault BEGIN
	// Get a page at the block's address (bc_alloc_page, which makes room
	// by evicting a clean block when memory is short) and read the block
	// into it from the disk (ide_read counts sectors: BLKSECTS per
	// block). Reading the block wrote the page: remap it onto itself
	// (sys_page_map with its PTE's permissions, vpte(page) &
	// (PTE_SYSCALL | PTE_NX)), which clears the dirty bit the MMU set, so
	// that the block is not written back unchanged. Return the first
	// error, with the page unmapped again (a half-read block must not
	// look cached); 0 when the block is in.
	//> (void)page;
	//> panic("bc_read: the block cache is not implemented: block %u (LAB 5 exercise bc_pgfault)", blockno);
	int r;
	if ((r = bc_alloc_page(page)) < 0)
		return r;
	if ((r = ide_read(blockno * BLKSECTS, page, BLKSECTS)) < 0 ||
	    (r = sys_page_map(0, page, 0, page,
			      vpte(reinterpret_cast<uintptr_t>(page)) & (PTE_SYSCALL | PTE_NX))) < 0) {
		sys_page_unmap(0, page);
		return r;
	}
	return 0;
	// LAB 5 EXERCISE bc_pgfault END
}

// The address of block blockno in the cache. Block 0 (the boot block) is
// never used; a block past the superblock's count is a bug in the caller.
void *
diskaddr(uint32_t blockno)
{
	if (blockno == 0 || blockno >= (fs_nblocks ? fs_nblocks : disk_nblocks))
		panic("bad block number %08x in diskaddr", blockno);
	return block_va(blockno);
}

bool
va_is_mapped(const void *va)
{
	return (vpte(reinterpret_cast<uintptr_t>(va)) & PTE_P) != 0;
}

bool
va_is_dirty(const void *va)
{
	return (vpte(reinterpret_cast<uintptr_t>(va)) & PTE_D) != 0;
}

bool
in_cache(const void *addr)
{
	auto va = reinterpret_cast<uintptr_t>(addr);
	return va >= DISKMAP && va < DISKMAP + DISKSIZE;
}

// Writes the block holding addr back to the disk, if it is cached and
// dirty; it stays cached, now clean.
void
flush_block(void *addr)
{
	auto va = reinterpret_cast<uintptr_t>(addr);
	uint32_t blockno = static_cast<uint32_t>((va - DISKMAP) / BLKSIZE);
	if (va < DISKMAP || va >= DISKMAP + DISKSIZE)
		panic("flush_block of bad va %08lx", va);

	// LAB 5 EXERCISE flush_block BEGIN
	// Nothing to do if the block is not cached or not dirty
	// (va_is_mapped, va_is_dirty). Otherwise write the whole block (from
	// its page-aligned address) to the disk with ide_write, panicking if
	// that fails, and clear the dirty bit as bc_read does.
	//> (void)blockno;
	//> panic("flush_block: not implemented (LAB 5 exercise flush_block)");
	if (!va_is_mapped(addr) || !va_is_dirty(addr))
		return;
	void *page = reinterpret_cast<void *>(ROUNDDOWN(va, BLKSIZE));
	int r;
	if ((r = ide_write(blockno * BLKSECTS, page, BLKSECTS)) < 0)
		panic("flush_block: writing block %u: %s", blockno, error_string(r));
	if ((r = sys_page_map(0, page, 0, page,
			      vpte(reinterpret_cast<uintptr_t>(page)) & (PTE_SYSCALL | PTE_NX))) < 0)
		panic("flush_block: block %u: sys_page_map: %s", blockno, error_string(r));
	// LAB 5 EXERCISE flush_block END
}

int
bc_load(uint32_t blockno)
{
	if (!va_is_mapped(block_va(blockno))) {
		int r = bc_read(blockno);
		if (r < 0)
			return r;
	}
	hold(blockno);
	return 0;
}

int
bc_hold(const void *addr)
{
	return bc_load(static_cast<uint32_t>((reinterpret_cast<uintptr_t>(addr) - DISKMAP) / BLKSIZE));
}

int
bc_alloc_page(void *va)
{
	int r = sys_page_alloc(0, va, kBlockPerm);
	if (r == -E_NO_MEM)
		r = evict_to(va);
	return r;
}

int
block_zero(uint32_t blockno, char **addr)
{
	void *va = diskaddr(blockno);
	if (!va_is_mapped(va)) {
		int r = bc_alloc_page(va);
		if (r < 0)
			return r;
	}
	hold(blockno);
	memset(va, 0, BLKSIZE);	// (and so dirty: it reaches the disk)
	*addr = static_cast<char *>(va);
	return 0;
}

void
bc_request_begin()
{
	nheld = 0;
}

void
bc_request_end()
{
	// The data before the metadata that points at it: the blocks in the
	// reverse of the order the request first used them (a File, then its
	// indirect block, then its data).
	for (int i = nheld - 1; i >= 0; i--)
		flush_block(block_va(held[i]));
	nheld = 0;
}

void
bc_init()
{
	set_pgfault_handler(bc_pgfault);
}

void
bc_make_tables()
{
	// Eviction moves a page to the block that needs it; the page table
	// for that block's address must exist already, since out of memory
	// there is no page for one. So they are made now, while there is
	// memory: one per 2 MiB of disk (a page each; the kernel keeps them),
	// for the first kMaxTables of them (256 KiB for a 128 MiB disk). Past
	// those, a block whose table does not exist yet cannot be brought in
	// out of memory: its request gets -E_NO_MEM.
	constexpr uint32_t kMaxTables = 64;
	uint32_t ntables = MIN<uint32_t>((fs_nblocks + NPTENTRIES - 1) / NPTENTRIES, kMaxTables);
	for (uint32_t t = 0; t < ntables; t++) {
		void *va = block_va(t * NPTENTRIES);
		uintptr_t a = reinterpret_cast<uintptr_t>(va);
		if ((uvpml4[a >> PML4XSHIFT] & PTE_P) && (uvpdp[a >> PDPXSHIFT] & PTE_P) &&
		    (uvpd[a >> PDXSHIFT] & PTE_P))
			continue;	// (a block in it is cached already)
		if (sys_page_alloc(0, va, kBlockPerm) < 0)
			return;		// no memory even now: eviction will do without
		sys_page_unmap(0, va);
	}
}

// check_bc: the cache writes a block back and pages it in again from the
// disk. Uses the superblock's block, and puts it back as it was.
void
check_bc()
{
	static char backup[BLKSIZE];	// (the server's stack is one page)
	memmove(backup, diskaddr(1), BLKSIZE);

	// Change it, write it back: it stays mapped, and clean.
	strcpy(static_cast<char *>(diskaddr(1)), "OOPS!\n");
	flush_block(diskaddr(1));
	assert(va_is_mapped(diskaddr(1)));
	assert(!va_is_dirty(diskaddr(1)));

	// Forget it: the next touch reads it from the disk.
	sys_page_unmap(0, diskaddr(1));
	assert(!va_is_mapped(diskaddr(1)));
	assert(strcmp(static_cast<char *>(diskaddr(1)), "OOPS!\n") == 0);
	assert(!va_is_dirty(diskaddr(1)));

	// Put it back, through an address inside the block (not its first
	// byte): flush_block writes the whole block.
	memmove(diskaddr(1), backup, BLKSIZE);
	flush_block(static_cast<char *>(diskaddr(1)) + 20);
	assert(!va_is_dirty(diskaddr(1)));
	sys_page_unmap(0, diskaddr(1));
	assert(memcmp(diskaddr(1), backup, BLKSIZE) == 0);

	cprintf("block cache is good\n");
}
