// JOS's testtime: counts down from 5, a second a step, by sys_time_msec.
#include <inc/lib.h>

namespace {

void
sleep(int sec)
{
	int64_t now = sys_time_msec();
	if (now < 0)
		panic("sys_time_msec: %s", error_string(static_cast<int>(now)));
	int64_t end = now + sec * 1000;
	while (sys_time_msec() < end)
		sys_yield();
}

} // namespace

void
umain(int, char **)
{
	// Let the other CPUs' boot lines go by first, and the clock run a
	// while (50 ms, without giving up the CPU: the timer may take it, and
	// whatever the kernel says about that comes before the count down, not
	// in the middle of its line).
	for (int i = 0; i < 50; i++)
		sys_yield();
	int64_t start = sys_time_msec();
	if (start >= 0)
		while (sys_time_msec() < start + 50)
			;
	cprintf("starting count down: ");
	for (int i = 5; i >= 0; i--) {
		cprintf("%d ", i);
		sleep(1);
	}
	cprintf("\n");
}
