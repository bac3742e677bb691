// Runs "sh -x < testshell.sh" with its output through a pipe, and compares
// that byte by byte with testshell.key (JOS lab 5). The key was written
// from the script alone (grade/shellmodel.py), not from a run.
#include <inc/lib.h>

namespace {

[[noreturn]] void
wrong(int rfd, int kfd, int off)
{
	static char buf[100];
	int n;
	seek(rfd, off);
	seek(kfd, off);
	cprintf("shell produced incorrect output.\n");
	cprintf("expected:\n===\n");
	while ((n = read(kfd, buf, sizeof(buf) - 1)) > 0)
		sys_cputs(buf, n);
	cprintf("===\ngot:\n===\n");
	while ((n = read(rfd, buf, sizeof(buf) - 1)) > 0)
		sys_cputs(buf, n);
	cprintf("===\n");
	exit();
}

} // namespace

void
umain(int, char **)
{
	char c1, c2;
	int r, rfd, wfd, kfd, n1, n2, off, nloff;
	int pfds[2];

	close(0);
	close(1);
	opencons();
	opencons();

	if ((rfd = open("testshell.sh", O_RDONLY)) < 0)
		panic("open testshell.sh: %s", error_string(rfd));
	if ((wfd = pipe(pfds)) < 0)
		panic("pipe: %s", error_string(wfd));
	wfd = pfds[1];

	cprintf("running sh -x < testshell.sh | cat\n");
	if ((r = fork()) < 0)
		panic("fork: %s", error_string(r));
	if (r == 0) {
		dup(rfd, 0);
		dup(wfd, 1);
		close(rfd);
		close(wfd);
		if ((r = spawnl("/sh", "sh", "-x", nullptr)) < 0)
			panic("spawn: %s", error_string(r));
		close(0);
		close(1);
		wait(r);
		exit();
	}
	close(rfd);
	close(wfd);

	rfd = pfds[0];
	if ((kfd = open("testshell.key", O_RDONLY)) < 0)
		panic("open testshell.key for reading: %s", error_string(kfd));

	// Line by line: a mismatch shows both from the line where it is.
	nloff = 0;
	for (off = 0;; off++) {
		n1 = read(rfd, &c1, 1);
		n2 = read(kfd, &c2, 1);
		if (n1 < 0)
			panic("reading testshell.out: %s", error_string(n1));
		if (n2 < 0)
			panic("reading testshell.key: %s", error_string(n2));
		if (n1 == 0 && n2 == 0)
			break;
		if (n1 != 1 || n2 != 1 || c1 != c2)
			wrong(rfd, kfd, nloff);
		if (c1 == '\n')
			nloff = off + 1;
	}
	cprintf("shell ran correctly\n");
}
