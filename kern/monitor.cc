// Simple command-line kernel monitor useful for controlling the kernel and
// exploring the system interactively.

#include <inc/memlayout.h>
#include <inc/stdio.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/cpu.h>
#include <kern/exit.h>
#include <kern/kdebug.h>
#include <kern/lab.h>
#include <kern/monitor.h>
#include <kern/trap.h>

extern "C" char mb2_entry[], etext[], edata[], end[];

namespace {

struct Command {
	const char *name;
	const char *desc;
	// Returns -1 to leave the monitor.
	int (*func)(int argc, char **argv, Trapframe *tf);
};

constexpr Command commands[] = {
	{"help", "Display this list of commands", mon_help},
	{"kerninfo", "Display information about the kernel", mon_kerninfo},
	{"backtrace", "Display the call stack, innermost frame first", mon_backtrace},
	{"continue", "Resume the environment that hit a breakpoint", mon_continue},
	{"exit", "Power off (QEMU exits with the 'pass' status)", mon_exit},
};

constexpr int kMaxArgs = 16;

int
runcmd(char *buf, Trapframe *tf)
{
	int argc = 0;
	char *argv[kMaxArgs];

	// Split into whitespace-separated words.
	for (;;) {
		while (*buf && strchr(" \t\r\n", *buf))
			*buf++ = 0;
		if (*buf == 0)
			break;
		if (argc == kMaxArgs - 1) {
			cprintf("Too many arguments (max %d)\n", kMaxArgs);
			return 0;
		}
		argv[argc++] = buf;
		while (*buf && !strchr(" \t\r\n", *buf))
			buf++;
	}
	argv[argc] = nullptr;
	if (argc == 0)
		return 0;
	for (const Command &c : commands)
		if (strcmp(argv[0], c.name) == 0)
			return c.func(argc, argv, tf);
	cprintf("Unknown command '%s'\n", argv[0]);
	return 0;
}

} // namespace

int
mon_help(int, char **, Trapframe *)
{
	for (const Command &c : commands)
		cprintf("%s - %s\n", c.name, c.desc);
	return 0;
}

int
mon_kerninfo(int, char **, Trapframe *)
{
	auto kb = [](const char *a) { return reinterpret_cast<uint64_t>(a); };
	cprintf("Special kernel symbols:\n");
	cprintf("  mb2_entry %016lx (phys)\n", kb(mb2_entry) - KERNBASE);
	cprintf("  etext  %016lx (virt)  %016lx (phys)\n", kb(etext), kb(etext) - KERNBASE);
	cprintf("  edata  %016lx (virt)  %016lx (phys)\n", kb(edata), kb(edata) - KERNBASE);
	cprintf("  end    %016lx (virt)  %016lx (phys)\n", kb(end), kb(end) - KERNBASE);
	cprintf("Kernel executable memory footprint: %luKB\n",
		ROUNDUP(kb(end) - kb(mb2_entry), 1024UL) / 1024);
	return 0;
}

// Built without optimization, as test_backtrace is: its arguments then live
// in its frame, and the backtrace it prints can show them.
[[gnu::optimize("O0")]] int
mon_backtrace(int argc, char **argv, Trapframe *tf)
{
	(void)argc, (void)argv, (void)tf;
	print_backtrace(read_rbp(), 0);
	return 0;
}

int
mon_exit(int, char **, Trapframe *)
{
	if (lab_stopped)
		kernel_exit_todo();
	kernel_exit(true);
}

int
mon_continue(int, char **, Trapframe *tf)
{
	if (tf == nullptr || (tf->tf_cs & 3) == 0) {
		cprintf("Nothing to continue: the monitor was not entered from a user breakpoint\n");
		return 0;
	}
	return -1;
}

void
monitor(Trapframe *tf)
{
	cprintf("Welcome to the JOS kernel monitor!\n");
	cprintf("Type 'help' for a list of commands.\n");
	if (tf != nullptr)
		print_trapframe(tf);

	// Locks this CPU holds may now be held as long as someone types: CPUs
	// waiting for them do not report a stall.
	thiscpu->in_monitor = true;
	for (;;) {
		char *buf = readline("K> ");
		if (buf != nullptr && runcmd(buf, tf) < 0)
			break;
	}
	thiscpu->in_monitor = false;
}
