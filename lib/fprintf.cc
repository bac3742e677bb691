// printf and fprintf: formatted output to a file descriptor, in as few
// writes as the buffer allows.

#include <inc/lib.h>

namespace {

struct FdBuf {
	int fd;
	int idx;		// bytes in buf
	ssize_t result;		// bytes written so far, or the first error
	char buf[256];
};

void
flush(FdBuf *b)
{
	if (b->idx > 0 && b->result >= 0) {
		ssize_t r = write(b->fd, b->buf, b->idx);
		if (r < 0)
			b->result = r;
		else
			b->result += r;
	}
	b->idx = 0;
}

void
putch(int ch, void *p)
{
	auto *b = static_cast<FdBuf *>(p);
	b->buf[b->idx++] = static_cast<char>(ch);
	if (b->idx == sizeof(b->buf))
		flush(b);
}

} // namespace

int
vfprintf(int fd, const char *fmt, va_list ap)
{
	FdBuf b;
	b.fd = fd;
	b.idx = 0;
	b.result = 0;
	vprintfmt(putch, &b, fmt, ap);
	flush(&b);
	return static_cast<int>(b.result);
}

int
fprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vfprintf(fd, fmt, ap);
	va_end(ap);
	return cnt;
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vfprintf(1, fmt, ap);
	va_end(ap);
	return cnt;
}
