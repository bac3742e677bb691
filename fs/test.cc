// The server's self-test (JOS's fs/test.c), run each time it starts on a
// good disk. It leaves the disk as it found it: /newmotd is rewritten with
// the same text, and the block it allocates is freed again.

#include "fs.h"

namespace {
// What make puts in /newmotd (fs/newmotd).
const char msg[] = "This is the NEW message of the day!\n\n";
} // namespace

void
fs_test()
{
	File *f;
	char *blk;
	int r;

	// alloc_block takes a free block and marks it in use. (The bitmap's
	// copy goes in a page of its own: a block is too large for the stack.)
	uint32_t nwords = (super->s_nblocks + 31) / 32;
	auto *bits = reinterpret_cast<uint32_t *>(PGSIZE);
	if ((r = sys_page_alloc(0, bits, PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	memmove(bits, bitmap, MIN<size_t>(nwords * 4, PGSIZE));
	if ((r = alloc_block()) < 0)
		panic("alloc_block: %s", error_string(r));
	assert(static_cast<uint32_t>(r) / 32 < PGSIZE / 4);
	assert(bits[r / 32] & (1U << (r % 32)));	// it was free
	assert(!(bitmap[r / 32] & (1U << (r % 32))));	// and is not any more
	assert(!va_is_dirty(&bitmap[r / 32]));		// and the disk knows
	free_block(r);
	sys_page_unmap(0, bits);
	cprintf("alloc_block is good\n");

	if ((r = file_open("/not-found", &f)) < 0 && r != -E_NOT_FOUND)
		panic("file_open /not-found: %s", error_string(r));
	else if (r == 0)
		panic("file_open /not-found succeeded!");
	if ((r = file_open("/newmotd", &f)) < 0)
		panic("file_open /newmotd: %s", error_string(r));
	cprintf("file_open is good\n");

	if ((r = file_get_block(f, 0, &blk)) < 0)
		panic("file_get_block: %s", error_string(r));
	if (strcmp(blk, msg) != 0)
		panic("file_get_block returned wrong data");
	cprintf("file_get_block is good\n");

	// A write dirties the block; file_flush cleans it.
	*static_cast<volatile char *>(blk) = *static_cast<volatile char *>(blk);
	assert(va_is_dirty(blk));
	file_flush(f);
	assert(!va_is_dirty(blk));
	cprintf("file_flush is good\n");

	if ((r = file_set_size(f, 0)) < 0)
		panic("file_set_size: %s", error_string(r));
	assert(f->f_direct[0] == 0);
	assert(!va_is_dirty(f));
	cprintf("file_truncate is good\n");

	if ((r = file_set_size(f, strlen(msg))) < 0)
		panic("file_set_size 2: %s", error_string(r));
	assert(!va_is_dirty(f));
	if ((r = file_get_block(f, 0, &blk)) < 0)
		panic("file_get_block 2: %s", error_string(r));
	strcpy(blk, msg);
	assert(va_is_dirty(blk));
	file_flush(f);
	assert(!va_is_dirty(blk));
	assert(!va_is_dirty(f));
	cprintf("file rewrite is good\n");
}
