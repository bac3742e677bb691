// What a client sees of a damaged disk: each file the graders may damage
// is opened, read and listed, and the outcome printed. The server names
// the damage; the client must get an error, not a crash or garbage.
#include <inc/lib.h>

namespace {

void
try_read(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		cprintf("testbadfs: open %s: %s\n", path, error_string(fd));
		return;
	}
	ssize_t n, total = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	if (n < 0)
		cprintf("testbadfs: read %s: %s\n", path, error_string(static_cast<int>(n)));
	else
		cprintf("testbadfs: read %s: %ld bytes\n", path, total);
}

} // namespace

void
umain(int, char **)
{
	try_read("/motd");
	try_read("/loop");
	try_read("/loop/motd");
	try_read("/newmotd");
	int fd = open("/created", O_WRONLY | O_CREAT);
	cprintf("testbadfs: create /created: %s\n", fd < 0 ? error_string(fd) : "ok");
	if (fd >= 0)
		close(fd);
	cprintf("testbadfs: done\n");
}
