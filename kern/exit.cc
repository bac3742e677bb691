#include <inc/stdio.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cpu.h>
#include <kern/exit.h>

namespace {
constexpr uint64_t kExitGraceUs = 1000000;
} // namespace

namespace {

[[noreturn]] void
exit_with(int value)
{
	outb(kExitPort, static_cast<uint8_t>(value));
	// QEMU 7 exits during the write; newer ones stop the machine a little
	// after it. Only a CPU still running a second later has no exit device
	// (not QEMU, or no isa-debug-exit on its command line).
	uint64_t deadline = clock_deadline_us(kExitGraceUs);
	while (!clock_passed(deadline))
		cpu_relax();
	cprintf("kernel_exit: no isa-debug-exit device at port %#x; halting (QEMU needs "
		"-device isa-debug-exit,iobase=%#x,iosize=0x04, as `make qemu` passes it)\n",
		kExitPort, kExitPort);
	for (;;) {
		cli();
		hlt();
	}
}

} // namespace

void
kernel_exit_todo()
{
	exit_with(kExitTodo);
}

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
	exit_with(passed ? kExitPass : kExitFail);
}
