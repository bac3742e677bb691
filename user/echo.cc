// echo [-n] word...: the words, separated by spaces, and a newline (unless -n).
#include <inc/lib.h>

namespace {

// The line, written at once when it fits (a line longer than this goes
// out in as many writes as it takes).
char line[1024];
size_t n;

void
put(char c)
{
	if (n == sizeof(line)) {
		write(1, line, n);
		n = 0;
	}
	line[n++] = c;
}

} // namespace

void
umain(int argc, char **argv)
{
	bool nflag = false;
	int i = 1;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		nflag = true;
		i++;
	}
	for (int first = i; i < argc; i++) {
		if (i > first)
			put(' ');
		for (const char *a = argv[i]; *a; a++)
			put(*a);
	}
	if (!nflag)
		put('\n');
	write(1, line, n);
}
