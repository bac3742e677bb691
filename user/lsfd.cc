// lsfd [-1]: this environment's open descriptors (to the console, or with
// -1 to standard output).
#include <inc/lib.h>

void
umain(int argc, char **argv)
{
	bool usefprint = false;
	Argstate args;
	int c;
	argstart(&argc, argv, &args);
	while ((c = argnext(&args)) >= 0)
		if (c == '1')
			usefprint = true;
		else {
			cprintf("usage: lsfd [-1]\n");
			exit();
		}
	for (int i = 0; i < MAXFD; i++) {
		Stat st;
		if (fstat(i, &st) < 0)
			continue;
		if (usefprint)
			fprintf(1, "fd %d: name %s isdir %d size %ld dev %s\n", i, st.st_name,
				st.st_isdir, st.st_size, st.st_dev->dev_name);
		else
			cprintf("fd %d: name %s isdir %d size %ld dev %s\n", i, st.st_name,
				st.st_isdir, st.st_size, st.st_dev->dev_name);
	}
}
