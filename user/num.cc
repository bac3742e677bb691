// num [file...]: the lines, numbered ("%5d " before each).
#include <inc/lib.h>

namespace {

int line;

void
num(int f, const char *name)
{
	bool at_start = true;
	char c;
	ssize_t n;
	while ((n = read(f, &c, 1)) > 0) {
		if (at_start)
			printf("%5d ", ++line);
		at_start = c == '\n';
		if (write(1, &c, 1) != 1)
			panic("write error copying %s", name);
	}
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
