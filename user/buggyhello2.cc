// Hands the kernel a pointer to a real string, but a length that runs past
// the end of the program's memory: the kernel must check every page before
// it prints anything. (The system call itself: the library's sys_cputs
// would split the length into pieces, and print the first.)
#include <inc/lib.h>

namespace {
const char hello[] = "hello, world\n";
} // namespace

void
umain(int, char **)
{
	size_t len = 1024 * 1024;
	asm volatile("int %0" : : "i"(T_SYSCALL), "a"(SYS_cputs), "d"(hello), "c"(len)
		     : "memory", "cc");
}
