// What a user of a Unix file system expects of its data, tried as a user
// would (grade/test_lab5_promises.py boots it on a small disk of its own,
// with /sh, /echo, /cat, /newmotd and /script, and checks the image
// afterwards): a shell line that redirects into a directory; a directory
// opened for writing; truncation, then growth; odd paths; a write at the
// largest size; arguments that fill the child's stack page; and then, on
// the full disk, a read of a hole, a write that cannot be done, and a
// create that cannot be. One line per check, saying what happened.
#include <inc/lib.h>

namespace {

char buf[8192];

const char *
outcome(int r)
{
	return r < 0 ? error_string(r) : "ok";
}

// Runs the shell on /script, with the console as its input and output.
void
shell_script()
{
	int r = spawnl("/sh", "sh", "/script", nullptr);
	if (r < 0)
		panic("spawn /sh: %s", error_string(r));
	wait(r);
}

// Spawns echo with one argument of n copies of c (and waits for it).
void
echo_long(int n, char c)
{
	static char arg[PGSIZE + 16];
	memset(arg, c, n);
	arg[n] = '\0';
	const char *argv[] = {"echo", arg, nullptr};
	int r = spawn("/echo", argv);
	if (r < 0) {
		cprintf("testfsdata: spawn echo with an argument of %d bytes: %s\n", n, error_string(r));
		return;
	}
	wait(r);
}

void
directories()
{
	int r = open("/dd", O_RDONLY | O_CREAT | O_MKDIR);
	if (r < 0)
		panic("mkdir /dd: %s", error_string(r));
	close(r);
	r = open("/dd", O_RDWR | O_TRUNC);
	cprintf("testfsdata: open /dd for reading and writing, truncated: %s\n", outcome(r));
	if (r >= 0) {
		ftruncate(r, 100);
		close(r);
	}
	r = open("/", O_WRONLY);
	cprintf("testfsdata: open / for writing: %s\n", outcome(r));
	if (r >= 0)
		close(r);
}

void
truncation()
{
	int fd = open("/trunc", O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0)
		panic("open /trunc: %s", error_string(fd));
	memset(buf, 'A', 4096);
	if (write(fd, buf, 4096) != 4096)
		panic("write /trunc");
	if (ftruncate(fd, 10) < 0)
		panic("ftruncate /trunc");
	seek(fd, 100);
	write(fd, "C", 1);
	seek(fd, 4096);
	write(fd, "D", 1);
	seek(fd, 0);
	memset(buf, '?', 4097);
	ssize_t n = readn(fd, buf, 4097);
	int old = 0;
	for (int i = 10; i < 4096; i++)
		if (i != 100 && buf[i] != 0)
			old++;
	cprintf("testfsdata: /trunc after ftruncate to 10 and writes at 100 and 4096: %ld bytes, "
		"%d of the cut ones not zero\n", static_cast<long>(n), old);
	close(fd);
}

void
paths()
{
	int r = open("/..", O_RDWR | O_CREAT);
	cprintf("testfsdata: create /..: %s\n", outcome(r));
	if (r >= 0)
		close(r);
	r = open("/script/", O_RDONLY);
	cprintf("testfsdata: open /script/: %s\n", outcome(r));
	if (r >= 0)
		close(r);
	r = open("/dd/../script", O_RDONLY);
	if (r < 0) {
		cprintf("testfsdata: read /dd/../script: %s\n", error_string(r));
	} else {
		cprintf("testfsdata: read /dd/../script: %ld bytes\n",
			static_cast<long>(readn(r, buf, sizeof(buf))));
		close(r);
	}
	int fd = open("/big", O_RDWR | O_CREAT);
	if (fd < 0)
		panic("open /big: %s", error_string(fd));
	seek(fd, MAXFILESIZE);
	ssize_t n = write(fd, "x", 1);
	if (n < 0)
		cprintf("testfsdata: write 1 byte at the largest size a file can have: %s\n",
			error_string(static_cast<int>(n)));
	else
		cprintf("testfsdata: write 1 byte at the largest size a file can have: %ld bytes\n",
			static_cast<long>(n));
	close(fd);
}

// Fills the disk; returns /fill's descriptor.
int
fill()
{
	int fd = open("/fill", O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0)
		panic("open /fill: %s", error_string(fd));
	memset(buf, 'f', 4096);
	for (;;) {
		ssize_t r = write(fd, buf, 4096);
		if (r < 4096)
			break;
	}
	ssize_t r = write(fd, buf, 4096);
	cprintf("testfsdata: the disk is full: %s\n",
		r < 0 ? error_string(static_cast<int>(r)) : "no, it still takes writes");
	return fd;
}

void
on_the_full_disk()
{
	int fd = open("/sparse", O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0 || ftruncate(fd, 8192) < 0)
		panic("/sparse");
	close(fd);
	// A directory with exactly 160 entries: ten whole blocks.
	if ((fd = open("/full", O_RDONLY | O_CREAT | O_MKDIR)) < 0)
		panic("mkdir /full: %s", error_string(fd));
	close(fd);
	for (int i = 0; i < 160; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/full/f%d", i);
		if ((fd = open(path, O_RDONLY | O_CREAT)) < 0)
			panic("create %s: %s", path, error_string(fd));
		close(fd);
	}
	if ((fd = open("/grow", O_RDWR | O_CREAT | O_TRUNC)) < 0)
		panic("open /grow: %s", error_string(fd));
	close(fd);

	int fillfd = fill();

	fd = open("/sparse", O_RDONLY);
	memset(buf, '?', 4096);
	ssize_t n = read(fd, buf, 4096);
	int zeros = 0;
	for (int i = 0; i < 4096; i++)
		zeros += buf[i] == 0;
	if (n < 0)
		cprintf("testfsdata: read 4096 bytes of the hole in /sparse: %s\n",
			error_string(static_cast<int>(n)));
	else
		cprintf("testfsdata: read 4096 bytes of the hole in /sparse: %ld bytes, %d of them "
			"zeros\n", static_cast<long>(n), zeros);
	close(fd);

	fd = open("/grow", O_RDWR);
	seek(fd, 100000);
	n = write(fd, "x", 1);
	Stat st;
	fstat(fd, &st);
	cprintf("testfsdata: write 1 byte at 100000 in the empty /grow: %s; /grow has %ld bytes\n",
		n < 0 ? error_string(static_cast<int>(n)) : "written", static_cast<long>(st.st_size));
	close(fd);

	// One block free: the last of /fill's.
	fstat(fillfd, &st);
	off_t blocks = (st.st_size + BLKSIZE - 1) / BLKSIZE;
	if (ftruncate(fillfd, (blocks - 1) * BLKSIZE) < 0)
		panic("ftruncate /fill");
	// The 161st entry needs a new directory block and an indirect block.
	fd = open("/full/f160", O_RDONLY | O_CREAT);
	cprintf("testfsdata: create /full/f160 with one block free: %s\n", outcome(fd));
	if (fd >= 0)
		close(fd);
	seek(fillfd, (blocks - 1) * BLKSIZE);
	n = write(fillfd, buf, 4096);
	cprintf("testfsdata: then write 4096 bytes to /fill: %s\n",
		n == 4096 ? "all of them" : n < 0 ? error_string(static_cast<int>(n)) : "some");
	close(fillfd);
}

} // namespace

void
umain(int, char **)
{
	// The console as standard input and output, for the shell and echo.
	if (opencons() != 0 || dup(0, 1) != 1)
		panic("opencons");
	shell_script();
	// A child whose arguments fill all but about 100 bytes of its stack
	// page; one whose arguments do not fit; echo with a line longer than
	// its buffer.
	echo_long(3966, 'x');
	echo_long(4100, 'z');
	echo_long(2000, 'y');
	directories();
	truncation();
	paths();
	on_the_full_disk();
	// Room again, for whatever boots on this disk next.
	int r = remove("/fill");
	cprintf("testfsdata: remove /fill: %s\n", outcome(r));
	r = sync();
	cprintf("testfsdata: done; sync: %s\n", outcome(r));
}
