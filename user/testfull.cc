// Fills the disk: writes /fill until the server says there is no room,
// then removes it and writes a small file, to show the space came back.
// The graders check the image with fsck afterwards. On a disk larger than
// a file can be (4 MiB), the writes go on in /fill2, /fill3, ... until the
// disk is full (not the graders' disk: the block cache, by hand, with
// make run-testfull-nox MEM=32M and a 16384-block DISK=).
#include <inc/lib.h>

namespace {
char buf[BLKSIZE];
} // namespace

void
umain(int, char **)
{
	for (int i = 0; i < BLKSIZE; i++)
		buf[i] = static_cast<char>('a' + i % 26);
	int fd = open("/fill", O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0)
		panic("open /fill: %s", error_string(fd));
	long total = 0;
	ssize_t r;
	int nfiles = 1;
	for (;;) {
		r = write(fd, buf, sizeof(buf));
		if (r >= 0)
			total += r;
		if (r == static_cast<ssize_t>(sizeof(buf)))
			continue;
		// A short write, or none: the disk filled up, or the file
		// reached its largest size. The next write says which.
		if (r >= 0)
			r = write(fd, buf, sizeof(buf));
		if (r != -E_FILE_TOO_BIG)
			break;
		char path[32];
		snprintf(path, sizeof(path), "/fill%d", ++nfiles);
		close(fd);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC)) < 0)
			panic("open %s: %s", path, error_string(fd));
	}
	cprintf("testfull: wrote %ld bytes to /fill, then: %s\n", total,
		r < 0 ? error_string(static_cast<int>(r)) : "no error");
	Stat st;
	if (fstat(fd, &st) < 0)
		panic("fstat /fill");
	cprintf("testfull: /fill has %ld bytes\n", st.st_size);
	close(fd);

	int e = remove("/fill");
	cprintf("testfull: remove /fill: %s\n", e < 0 ? error_string(e) : "ok");
	if ((fd = open("/after", O_WRONLY | O_CREAT | O_TRUNC)) < 0)
		panic("open /after: %s", error_string(fd));
	r = write(fd, buf, sizeof(buf));
	cprintf("testfull: wrote %ld bytes to /after\n", static_cast<long>(r));
	close(fd);
}
