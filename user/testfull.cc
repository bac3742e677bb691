// Fills the disk: writes /fill until the server says there is no room,
// then removes it and writes a small file, to show the space came back.
// The graders check the image with fsck afterwards.
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
	for (;;) {
		r = write(fd, buf, sizeof(buf));
		if (r < 0)
			break;
		total += r;
		if (r < static_cast<ssize_t>(sizeof(buf))) {
			// A short write: the disk filled up. The next one says why.
			r = write(fd, buf, sizeof(buf));
			break;
		}
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
