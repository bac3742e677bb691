// num [file...]: the lines, numbered ("%5d " before each).
#include <inc/lib.h>

namespace {

int line;
// A line at a time: each write is one line (or a piece of a very long
// one), so that other output on the console never lands inside it.
char out[256];
size_t nout;

void
flush(const char *name)
{
	if (nout > 0 && write(1, out, nout) != static_cast<ssize_t>(nout))
		panic("write error copying %s", name);
	nout = 0;
}

void
num(int f, const char *name)
{
	bool at_start = true;
	char c;
	ssize_t n;
	while ((n = read(f, &c, 1)) > 0) {
		if (at_start)
			nout += snprintf(out + nout, sizeof(out) - nout, "%5d ", ++line);
		at_start = c == '\n';
		out[nout++] = c;
		if (at_start || nout > sizeof(out) - 16)
			flush(name);
	}
	flush(name);
	if (n < 0)
		panic("error reading %s: %s", name, error_string(static_cast<int>(n)));
}

} // namespace

void
umain(int argc, char **argv)
{
	binaryname = "num";
	if (argc == 1) {
		num(0, "<stdin>");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int f = open(argv[i], O_RDONLY);
		if (f < 0)
			panic("can't open %s: %s", argv[i], error_string(f));
		num(f, argv[i]);
		close(f);
	}
}
