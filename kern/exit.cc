#include <inc/stdio.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cpu.h>
#include <kern/exit.h>

void
kernel_exit(bool passed)
{
	if (passed && kernel_panicked()) {
		// Another CPU is reporting a panic and will exit with the fail
		// status; a pass must not win the race. Give it a second.
		uint64_t deadline = clock_deadline_us(1000000);
		while (!clock_passed(deadline))
			cpu_relax();
		passed = false;
	}
	outb(kExitPort, passed ? kExitPass : kExitFail);
	// Still here: not QEMU, or no isa-debug-exit device on its command line.
	cprintf("kernel_exit: no isa-debug-exit device at port %#x; halting (QEMU needs "
		"-device isa-debug-exit,iobase=%#x,iosize=0x04, as `make qemu` passes it)\n",
		kExitPort, kExitPort);
	for (;;) {
		cli();
		hlt();
	}
}
