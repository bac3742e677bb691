// The block cache: the disk, mapped at DISKMAP, paged in on demand by the
// server's own page-fault handler. A block is read from the disk the first
// time it is touched; the page's dirty bit (PTE_D, set by the MMU on a
// write) says whether it must be written back.

#include "fs.h"

namespace {

constexpr uint64_t kBlockPerm = PTE_P | PTE_U | PTE_W | PTE_NX;

// A fault in the block cache: reads the block in.
void
bc_pgfault(UTrapframe *utf)
{
	uintptr_t addr = utf->utf_fault_va;
	uint32_t blockno = static_cast<uint32_t>((addr - DISKMAP) / BLKSIZE);

	if (addr < DISKMAP || addr >= DISKMAP + DISKSIZE)
		panic("page fault in FS: rip %08lx, va %08lx, err %04lx", utf->utf_rip, addr,
		      utf->utf_err);
	// The file system checks block numbers before it uses them: getting
	// here with a bad one is a bug in the server, not a bad disk.
	if (super && blockno >= super->s_nblocks)
		panic("reading non-existent block %08x", blockno);

	// LAB 5 EXERCISE bc_pgfault BEGIN
	// Allocate a page at the block's (page-aligned) address, kBlockPerm,
	// and read the block into it from the disk (ide_read counts sectors:
	// BLKSECTS per block). Panic if either fails. Reading the block wrote
	// the page: remap it onto itself (sys_page_map with its PTE's
	// permissions, pte & (PTE_SYSCALL | PTE_NX)), which clears the dirty
	// bit the MMU set, so that the block is not written back unchanged.
	//> panic("bc_pgfault: the block cache is not implemented: block %u (LAB 5 exercise bc_pgfault)", blockno);
	void *page = reinterpret_cast<void *>(ROUNDDOWN(addr, BLKSIZE));
	int r;
	if ((r = sys_page_alloc(0, page, kBlockPerm)) < 0)
		panic("bc_pgfault: block %u: sys_page_alloc: %s", blockno, error_string(r));
	if ((r = ide_read(blockno * BLKSECTS, page, BLKSECTS)) < 0)
		panic("bc_pgfault: reading block %u: %s", blockno, error_string(r));
	if ((r = sys_page_map(0, page, 0, page,
			      vpte(reinterpret_cast<uintptr_t>(page)) & (PTE_SYSCALL | PTE_NX))) < 0)
		panic("bc_pgfault: block %u: sys_page_map: %s", blockno, error_string(r));
	// LAB 5 EXERCISE bc_pgfault END

	// Nobody should read a block that the bitmap says is free.
	if (bitmap && block_is_free(blockno))
		panic("reading free block %08x", blockno);
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

} // namespace

// The address of block blockno in the cache. Block 0 (the boot block) is
// never used; a block past the superblock's count is a bug in the caller.
void *
diskaddr(uint32_t blockno)
{
	if (blockno == 0 || (super && blockno >= super->s_nblocks))
		panic("bad block number %08x in diskaddr", blockno);
	return reinterpret_cast<void *>(DISKMAP + static_cast<uint64_t>(blockno) * BLKSIZE);
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
	// that fails, and clear the dirty bit as bc_pgfault does.
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

void *
block_zero(uint32_t blockno)
{
	void *addr = diskaddr(blockno);
	if (!va_is_mapped(addr)) {
		int r = sys_page_alloc(0, addr, kBlockPerm);
		if (r < 0)
			panic("block_zero: block %u: sys_page_alloc: %s", blockno, error_string(r));
	}
	memset(addr, 0, BLKSIZE);	// (and so dirty: it reaches the disk)
	return addr;
}

void
bc_init()
{
	set_pgfault_handler(bc_pgfault);
	check_bc();
}
