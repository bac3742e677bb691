// echo [-n] word...: the words, separated by spaces, and a newline (unless -n).
#include <inc/lib.h>

void
umain(int argc, char **argv)
{
	// One write for the whole line.
	static char line[1024];
	size_t n = 0;
	bool nflag = false;
	int i = 1;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		nflag = true;
		i++;
	}
	for (int first = i; i < argc; i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s", i > first ? " " : "", argv[i]);
	if (!nflag && n < sizeof(line) - 1)
		line[n++] = '\n';
	write(1, line, MIN(n, sizeof(line) - 1));
}
