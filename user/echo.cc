// echo [-n] word...: the words, separated by spaces, and a newline (unless -n).
#include <inc/lib.h>

void
umain(int argc, char **argv)
{
	bool nflag = false;
	int i = 1;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		nflag = true;
		i++;
	}
	for (; i < argc; i++) {
		write(1, argv[i], strlen(argv[i]));
		if (i + 1 < argc)
			write(1, " ", 1);
	}
	if (!nflag)
		write(1, "\n", 1);
}
