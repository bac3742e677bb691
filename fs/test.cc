// The server's self-test (JOS's fs/test.c): the file system's parts one by
// one, once the disk is mounted (the block cache's own test, check_bc,
// comes before that, in fs_init). It runs only where a test asks for it (the
// kernel's fs=test), never on an ordinary boot: it needs /newmotd as make
// writes it, and it changes the disk as it goes. It leaves the disk as it
// found it: /newmotd is rewritten with what it held, and the block it
// allocates is freed again. On a disk whose /newmotd is not make's, the
// tests that need it are left out, with a line that says so.

#include "fs.h"

namespace {
// What make puts in /newmotd (fs/newmotd).
const char msg[] = "This is the NEW message of the day!\n\n";

void
skipped()
{
	cprintf("fs: the rest of the self-test skipped: it needs /newmotd as make writes it "
		"(fs/newmotd), and this disk's is missing or different\n");
}
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
	if ((r = file_open("/newmotd", &f)) == -E_NOT_FOUND)
		return skipped();
	if (r < 0)
		panic("file_open /newmotd: %s", error_string(r));
	cprintf("file_open is good\n");

	// What follows rewrites /newmotd: only if it holds what make put
	// there (a user may have changed it).
	static char text[sizeof(msg)];
	if (f->f_size != static_cast<int>(strlen(msg)) ||
	    file_read(f, text, sizeof(text), 0) != static_cast<ssize_t>(strlen(msg)) ||
	    memcmp(text, msg, strlen(msg)) != 0)
		return skipped();

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
	bc_request_end();
}
