// Starts the user-space world from the file system: prints /motd, then
// spawns /init (JOS lab 5).
#include <inc/lib.h>

void
umain(int, char **)
{
	int fd, n, r;
	static char buf[512 + 1];

	binaryname = "icode";
	cprintf("icode startup\n");

	cprintf("icode: open /motd\n");
	if ((fd = open("/motd", O_RDONLY)) < 0)
		panic("icode: open /motd: %s", error_string(fd));

	cprintf("icode: read /motd\n");
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
		sys_cputs(buf, n);

	cprintf("icode: close /motd\n");
	close(fd);

	cprintf("icode: spawn /init\n");
	if ((r = spawnl("/init", "init", "initarg1", "initarg2", nullptr)) < 0)
		panic("icode: spawn /init: %s", error_string(r));

	cprintf("icode: exiting\n");
}
