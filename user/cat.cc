// cat [file...]: copies the files (or standard input) to standard output.
#include <inc/lib.h>

namespace {

char buf[8192];

void
cat(int f, const char *name)
{
	ssize_t n, r;
	while ((n = read(f, buf, sizeof(buf))) > 0)
		if ((r = write(1, buf, n)) != n)
			panic("write error copying %s: %s", name, error_string(static_cast<int>(r)));
	if (n < 0)
		panic("error reading %s: %s", name, error_string(static_cast<int>(n)));
}

} // namespace

void
umain(int argc, char **argv)
{
	binaryname = "cat";
	if (argc == 1) {
		cat(0, "<stdin>");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int f = open(argv[i], O_RDONLY);
		if (f < 0) {
			printf("can't open %s: %s\n", argv[i], error_string(f));
			continue;
		}
		cat(f, argv[i]);
		close(f);
	}
}
