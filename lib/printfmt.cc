// JOS's printfmt: the formatting engine behind cprintf, snprintf and the
// user-level printf. Supports %d %i %u %x %X %o %p %s %c %e %%, a width,
// '-', '0' and '#' flags, a precision for strings, and the l/ll/z modifiers.

#include <inc/error.h>
#include <inc/stdio.h>
#include <inc/string.h>

namespace {

const char *const kErrorNames[MAXERROR] = {
	nullptr,
	"unspecified error",
	"bad environment",
	"invalid parameter",
	"out of memory",
	"out of environments",
	"segmentation fault",
	"env is not recving",
	"unexpected end of file",
	"no free space on disk",
	"too many files are open",
	"file or block not found",
	"invalid path",
	"file already exists",
	"file is not a valid executable",
	"operation not supported by device",
	"the file system on the disk is damaged",
	"no file-system server is running",
	"disk I/O error",
	"no disk drive",
	"is a directory",
	"not a directory",
	"file too large",
	"argument list too long",
	"no network card",
	"transmit ring full",
	"no packet received",
	"no network server is running",
	"connection refused, reset or aborted",
	"address already in use",
	"network timeout",
};

} // namespace

const char *
error_string(int err)
{
	if (err < 0)
		err = -err;
	if (err >= MAXERROR || kErrorNames[err] == nullptr)
		return "unknown error";
	return kErrorNames[err];
}

namespace {

// Prints num in base, right-justified in width with padc (unless padc is
// '-', which means left-justified: the caller pads afterwards).
void
printnum(void (*putch)(int, void *), void *putdat, uint64_t num, unsigned base,
	 int width, int padc, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0;
	do {
		buf[n++] = digits[num % base];
		num /= base;
	} while (num);
	if (padc != '-')
		for (int i = n; i < width; i++)
			putch(padc, putdat);
	while (n > 0)
		putch(buf[--n], putdat);
}

uint64_t
getuint(va_list *ap, int lflag)
{
	if (lflag >= 2)
		return va_arg(*ap, unsigned long long);
	if (lflag)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

int64_t
getint(va_list *ap, int lflag)
{
	if (lflag >= 2)
		return va_arg(*ap, long long);
	if (lflag)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

int
count_digits(uint64_t num, unsigned base)
{
	int n = 1;
	while (num >= base)
		num /= base, n++;
	return n;
}

// An unsigned number in a field of width: C's order is spaces, the prefix
// ("0x", or "0" for octal's alternate form), zeros, the digits; with '-'
// the spaces come after.
void
print_number(void (*putch)(int, void *), void *putdat, uint64_t num, unsigned base,
	     int width, int padc, const char *prefix, bool upper)
{
	int len = count_digits(num, base) + static_cast<int>(strlen(prefix));
	if (padc == ' ')
		for (int i = len; i < width; i++)
			putch(' ', putdat);
	for (const char *p = prefix; *p; p++)
		putch(*p, putdat);
	if (padc == '0')
		for (int i = len; i < width; i++)
			putch('0', putdat);
	printnum(putch, putdat, num, base, 0, ' ', upper);
	if (padc == '-')
		for (int i = len; i < width; i++)
			putch(' ', putdat);
}

} // namespace

void
vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);

	for (;;) {
		int ch;
		while ((ch = static_cast<unsigned char>(*fmt++)) != '%') {
			if (ch == '\0') {
				va_end(aq);
				return;
			}
			putch(ch, putdat);
		}

		const char *start = fmt;
		int padc = ' ', width = -1, precision = -1, lflag = 0;
		bool altflag = false;
	reswitch:
		switch (ch = static_cast<unsigned char>(*fmt++)) {
		case '#':
			altflag = true;
			goto reswitch;
		case '-':
			padc = '-';
			goto reswitch;
		case '0':
			if (padc != '-')
				padc = '0';
			goto reswitch;
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			for (width = 0;; ++fmt) {
				width = width * 10 + ch - '0';
				ch = *fmt;
				if (ch < '0' || ch > '9')
					break;
			}
			goto reswitch;
		case '*':
			width = va_arg(aq, int);
			goto reswitch;
		case '.':
			precision = 0;
			if (*fmt == '*') {
				precision = va_arg(aq, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					precision = precision * 10 + *fmt++ - '0';
			}
			goto reswitch;
		case 'l':
			lflag++;
			goto reswitch;
		case 'z':
			lflag = 1;
			goto reswitch;

		case 'c':
			putch(va_arg(aq, int), putdat);
			break;

		case 'e': {
			// JOS's %e: an error code by name. Code checked by
			// -Wformat passes error_string(err) to %s instead.
			int err = va_arg(aq, int);
			printfmt(putch, putdat, "%s", error_string(err));
			break;
		}

		case 's': {
			const char *p = va_arg(aq, const char *);
			if (p == nullptr)
				p = "(null)";
			int len = static_cast<int>(precision >= 0 ? strnlen(p, precision) : strlen(p));
			if (padc != '-')
				for (int i = len; i < width; i++)
					putch(' ', putdat);
			for (int i = 0; i < len; i++)
				putch(p[i], putdat);
			if (padc == '-')
				for (int i = len; i < width; i++)
					putch(' ', putdat);
			break;
		}

		case 'd':
		case 'i': {
			int64_t num = getint(&aq, lflag);
			uint64_t mag = num < 0 ? -static_cast<uint64_t>(num) : num;
			int len = count_digits(mag, 10) + (num < 0);
			if (num < 0 && padc == '0')
				putch('-', putdat);
			if (padc != '-')
				for (int i = len; i < width; i++)
					putch(padc, putdat);
			if (num < 0 && padc != '0')
				putch('-', putdat);
			printnum(putch, putdat, mag, 10, 0, ' ', false);
			if (padc == '-')
				for (int i = len; i < width; i++)
					putch(' ', putdat);
			break;
		}

		case 'o': {
			// LAB 1 EXERCISE printf_octal BEGIN
			// (unsigned) octal: as 'u' below prints base 10, print base 8.
			// getuint reads the argument at its size (lflag: l, ll);
			// print_number prints it in a field of width padded with padc
			// (' ', '0', or '-' for padding on the right), after a prefix:
			// with '#' (altflag), C puts a 0 in front of a nonzero number.
			//> (void)getuint(&aq, lflag);
			//> putch('X', putdat);
			//> putch('X', putdat);
			//> putch('X', putdat);
			uint64_t num = getuint(&aq, lflag);
			print_number(putch, putdat, num, 8, width, padc, altflag && num != 0 ? "0" : "",
				     false);
			// LAB 1 EXERCISE printf_octal END
			break;
		}

		case 'u':
		case 'x':
		case 'X':
		case 'p': {
			unsigned base = ch == 'u' ? 10 : 16;
			uint64_t num;
			if (ch == 'p') {
				num = reinterpret_cast<uintptr_t>(va_arg(aq, void *));
				putch('0', putdat);
				putch('x', putdat);
				if (width < 0)
					width = 16, padc = '0';
				else
					width -= 2;
				printnum(putch, putdat, num, base, width, padc, false);
				if (padc == '-')
					for (int i = count_digits(num, base); i < width; i++)
						putch(' ', putdat);
				break;
			}
			num = getuint(&aq, lflag);
			// C's alternate form: 0x/0X for hex.
			print_number(putch, putdat, num, base, width, padc,
				     altflag && num != 0 && ch != 'u' ? (ch == 'X' ? "0X" : "0x") : "",
				     ch == 'X');
			break;
		}

		case '%':
			putch('%', putdat);
			break;

		default:
			// Unknown conversion: print it literally so the mistake shows.
			putch('%', putdat);
			fmt = start;
			break;
		}
	}
}

void
printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintfmt(putch, putdat, fmt, ap);
	va_end(ap);
}

namespace {
struct SprintBuf {
	char *buf;
	char *ebuf;
	int cnt;
};

void
sprintputch(int ch, void *p)
{
	auto *b = static_cast<SprintBuf *>(p);
	b->cnt++;
	if (b->buf < b->ebuf)
		*b->buf++ = static_cast<char>(ch);
}
} // namespace

// Like C's vsnprintf: always terminates when size > 0 and returns the length
// the full output would have had.
int
vsnprintf(char *buf, int size, const char *fmt, va_list ap)
{
	if (buf == nullptr || size < 1)
		return -E_INVAL;
	SprintBuf b = {buf, buf + size - 1, 0};
	vprintfmt(sprintputch, &b, fmt, ap);
	*b.buf = '\0';
	return b.cnt;
}

int
snprintf(char *buf, int size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return rc;
}
