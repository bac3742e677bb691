// sys_cputs over more bytes than the kernel prints in one call: the raw
// system call is refused at once (the kernel would hold the big kernel lock
// for as long as the printing took), and the library's sys_cputs prints a
// long string whole, in pieces.
#include <inc/lib.h>

namespace {

constexpr uintptr_t kBase = 0x10000000;
constexpr int kPages = 1024;			// 4 MiB of 'x', one page aliased

int64_t
raw_cputs(const char *s, size_t len)
{
	int64_t ret;
	asm volatile("int %1" : "=a"(ret) : "i"(T_SYSCALL), "a"(SYS_cputs), "d"(s), "c"(len)
		     : "memory", "cc");
	return ret;
}

} // namespace

void
umain(int, char **)
{
	int r;
	if ((r = sys_page_alloc(0, (void *) kBase, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %s", error_string(r));
	memset((void *) kBase, 'x', PGSIZE);
	for (int i = 1; i < kPages; i++)
		if ((r = sys_page_map(0, (void *) kBase, 0, (void *) (kBase + i * PGSIZE),
				      PTE_P | PTE_U)) < 0)
			panic("sys_page_map: %s", error_string(r));
	int64_t ret = raw_cputs((const char *) kBase, kPages * PGSIZE);
	cprintf("\nbigcputs: one sys_cputs of %d bytes: %s\n", kPages * PGSIZE,
		ret == 0 ? "printed" : error_string(static_cast<int>(ret)));

	// Through the library: 10000 bytes, whole.
	static char line[10001];
	for (int i = 0; i < 10000; i++)
		line[i] = static_cast<char>('a' + i % 26);
	sys_cputs(line, 10000);
	cprintf("\nbigcputs: done\n");
}
