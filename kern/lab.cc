// Where the boot stops: a stub (lab_todo), or the end of the lab this boot
// was asked to run (lab_done).

#include <inc/stdio.h>
#include <kern/clock.h>
#include <kern/console.h>
#include <kern/exit.h>
#include <kern/lab.h>
#include <kern/monitor.h>
#include <kern/printf.h>

namespace {

[[noreturn]] void
stop_in_monitor()
{
	for (;;)
		monitor(nullptr);
}

} // namespace

bool lab_stopped;

void
lab_todo(int lab, const char *what)
{
	lab_stopped = true;
	{
		// On a line of its own: the boot stops here, whatever was printing.
		ConsoleGuard guard;
		cons_fresh_line();
		cprintf("lab %d starts here: %s is not implemented\n", lab, what);
	}
	if (!kargs.monitor)
		kernel_exit_todo();
	stop_in_monitor();
}

void
lab_done(int lab, const char *next)
{
	boot_phase_report();
	cprintf("lab=%d: the boot stops here; lab %d goes on with %s\n", lab, lab + 1, next);
	if (!kargs.monitor)
		kernel_exit(true);
	stop_in_monitor();
}
