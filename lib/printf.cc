// cprintf for user programs: formats into a buffer and hands it to the
// kernel in as few sys_cputs calls as possible.

#include <inc/lib.h>

namespace {

struct PrintBuf {
	int idx;		// current buffer index
	int cnt;		// total bytes printed so far
	char buf[256];
};

void
putch(int ch, void *p)
{
	auto *b = static_cast<PrintBuf *>(p);
	b->buf[b->idx++] = static_cast<char>(ch);
	if (b->idx == sizeof(b->buf)) {
		sys_cputs(b->buf, b->idx);
		b->idx = 0;
	}
	b->cnt++;
}

} // namespace

int
vcprintf(const char *fmt, va_list ap)
{
	PrintBuf b;
	b.idx = b.cnt = 0;
	vprintfmt(putch, &b, fmt, ap);
	sys_cputs(b.buf, b.idx);
	return b.cnt;
}

int
cprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vcprintf(fmt, ap);
	va_end(ap);
	return cnt;
}

int
cprintf_once(const char *fmt, ...)
{
	char buf[SYS_CPUTS_ONCE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = MIN(n, static_cast<int>(sizeof(buf)) - 1);	// vsnprintf says what did not fit
	sys_cputs_once(buf, n);
	return n;
}
