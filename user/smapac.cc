// Sets RFLAGS.AC (allowed in user mode) and then enters the kernel. With
// AC set, SMAP lets supervisor code touch user pages; the kernel must clear
// it on entry, or its SMAP protection is off while it runs for this
// environment. (Run with crash=syssmap: the kernel's system call then
// reads the caller's buffer directly, which SMAP must stop.)
#include <inc/lib.h>

void
umain(int, char **)
{
	constexpr uint64_t kAc = 1UL << 18;
	asm volatile("pushfq; orq %0, (%%rsp); popfq" : : "r"(kAc) : "memory", "cc");
	uint64_t flags;
	asm volatile("pushfq; popq %0" : "=r"(flags));
	static const char msg[] = "smapac: in the kernel with AC set\n";
	sys_cputs(msg, sizeof(msg) - 1);
	cprintf("smapac: AC was %s; the kernel read this environment's memory directly and "
		"nothing stopped it\n", flags & kAc ? "set" : "clear");
}
