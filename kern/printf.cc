// cprintf for the kernel: formats into a buffer, then writes the whole text
// under the console lock so lines from different CPUs never interleave.

#include <inc/stdio.h>
#include <kern/console.h>
#include <kern/cpu.h>
#include <kern/lapic.h>
#include <kern/printf.h>
#include <kern/spinlock.h>

namespace {

Spinlock console_lock("console", false);	// stalls cannot be printed through it

struct PrintBuf {
	char buf[256];
	int len;
	int total;
};

void
flush(PrintBuf *b)
{
	for (int i = 0; i < b->len; i++)
		cons_putc(b->buf[i]);
	cons_flush();
	b->len = 0;
}

void
putch(int ch, void *p)
{
	auto *b = static_cast<PrintBuf *>(p);
	b->buf[b->len++] = static_cast<char>(ch);
	b->total++;
	if (b->len == sizeof(b->buf))
		flush(b);
}

} // namespace

// Takes the console lock unless this CPU already holds it, which happens
// only when a fault or panic interrupts output on this CPU: printing then
// beats deadlocking on ourselves.
ConsoleGuard::ConsoleGuard(Mode mode) : taken_(!console_lock.holding()), ok_(true)
{
	if (!taken_)
		return;
	if (mode == Wait)
		console_lock.lock();
	else
		taken_ = ok_ = console_lock.try_lock();
}

ConsoleGuard::~ConsoleGuard()
{
	if (taken_)
		console_lock.unlock();
}

int
vcprintf(const char *fmt, va_list ap)
{
	PrintBuf b;
	b.len = b.total = 0;
	ConsoleGuard guard;
	vprintfmt(putch, &b, fmt, ap);
	flush(&b);
	return b.total;
}

int
cprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vcprintf(fmt, ap);
	va_end(ap);
	return n;
}

int
cprintf_aside(const char *fmt, ...)
{
	ConsoleGuard guard;
	cons_aside_begin();
	va_list ap;
	va_start(ap, fmt);
	int n = vcprintf(fmt, ap);
	va_end(ap);
	cons_aside_end();
	return n;
}

void
cputchar(int c)
{
	ConsoleGuard guard;
	cons_putc(c);
	cons_flush();
}

namespace {
// Waits a little for console input without spinning the host's CPU: once
// the LAPIC timer is calibrated, sleep until a 5 ms one-shot wakes us.
void
wait_for_input()
{
	if (!lapic_ready()) {
		cpu_relax();
		return;
	}
	uint64_t flags = read_rflags();
	lapic_timer_oneshot(5000);
	sti_hlt();
	if (!(flags & FL_IF))
		cli();
}
} // namespace

int
getchar()
{
	int c;
	while ((c = cons_getc()) == 0)
		wait_for_input();
	return c;
}

int
iscons(int)
{
	return 1;
}
