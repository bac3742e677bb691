// The console: cputchar through sys_cputs, and (lab 5) the console device,
// whose descriptors read the keyboard and serial input and write to the
// screen and serial port.

#include <inc/lib.h>

namespace {

// Waits (blocked in the kernel) for one character; Ctrl-D is end of file.
// The kernel answers 0 where console input cannot interrupt: then poll.
ssize_t
devcons_read(Fd *, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	int c;
	while ((c = sys_cgetc_wait()) == 0)
		sys_yield();
	if (c < 0)
		return c;
	if (c == 0x04)
		return 0;
	*static_cast<char *>(buf) = static_cast<char>(c);
	return 1;
}

ssize_t
devcons_write(Fd *, const void *buf, size_t n)
{
	sys_cputs(static_cast<const char *>(buf), n);
	return static_cast<ssize_t>(n);
}

int
devcons_close(Fd *)
{
	return 0;
}

int
devcons_stat(Fd *, Stat *st)
{
	strlcpy(st->st_name, "<cons>", sizeof(st->st_name));
	return 0;
}

} // namespace

Dev devcons = {'c', "cons", devcons_read, devcons_write, devcons_close, devcons_stat, nullptr};

void
cputchar(int ch)
{
	char c = static_cast<char>(ch);
	sys_cputs(&c, 1);
}

// The next character of standard input (descriptor 0): a negative E_*
// code on an error, -E_EOF at the end of the input.
int
getchar()
{
	unsigned char c;
	ssize_t r = read(0, &c, 1);
	if (r < 0)
		return static_cast<int>(r);
	if (r < 1)
		return -E_EOF;
	return c;
}

int
iscons(int fdnum)
{
	Fd *fd;
	if (fd_lookup(fdnum, &fd) < 0)
		return 0;
	return fd->fd_dev_id == devcons.dev_id;
}

int
opencons()
{
	Fd *fd;
	int r;
	if ((r = fd_alloc(&fd)) < 0)
		return r;
	if ((r = sys_page_alloc(0, fd, PTE_P | PTE_U | PTE_W | PTE_SHARE)) < 0)
		return r;
	fd->fd_dev_id = devcons.dev_id;
	fd->fd_omode = O_RDWR;
	return fd2num(fd);
}
