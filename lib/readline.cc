// Line input with echo and backspace, for the kernel monitor and user code.

#include <inc/error.h>
#include <inc/stdio.h>

namespace {
constexpr int kBufLen = 1024;
char buf[kBufLen];
} // namespace

// Reads one line (without the newline) into a static buffer. Returns
// nullptr at the end of the input, or (after saying so) on an error.
char *
readline(const char *prompt)
{
	if (prompt != nullptr)
		cprintf("%s", prompt);

	int i = 0;
	bool echoing = iscons(0);
	for (;;) {
		int c = getchar();
		if (c < 0) {
			if (c != -E_EOF)
				cprintf("read error: %s\n", error_string(c));
			return nullptr;
		} else if ((c == '\b' || c == '\x7f') && i > 0) {
			if (echoing)
				cputchar('\b');
			i--;
		} else if (c >= ' ' && c != '\x7f' && i < kBufLen - 1) {
			if (echoing)
				cputchar(c);
			buf[i++] = static_cast<char>(c);
		} else if (c == '\n' || c == '\r') {
			if (echoing)
				cputchar('\n');
			buf[i] = 0;
			return buf;
		}
	}
}
