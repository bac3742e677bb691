// The file-descriptor layer (JOS lab 5): descriptor numbers, the table of
// Fd pages at FDTABLE, and the calls that dispatch to a descriptor's device.
//
// Mapping order matters to pipes (lib/pipe.cc): a descriptor's data page
// is mapped before its Fd page and unmapped after it, so that at no instant
// does a pipe page have fewer references than all the Fd pages that stand
// for it.

#include <inc/lib.h>

namespace {

Dev *const devtab[] = {&devfile, &devpipe, &devcons, &devsock};

bool
mapped(uintptr_t va)
{
	return (vpte(va) & PTE_P) != 0;
}

} // namespace

int
fd2num(const Fd *fd)
{
	return static_cast<int>((reinterpret_cast<uintptr_t>(fd) - FDTABLE) / PGSIZE);
}

char *
fd2data(const Fd *fd)
{
	return reinterpret_cast<char *>(INDEX2DATA(fd2num(fd)));
}

int
fd_alloc(Fd **fd_store)
{
	for (int i = 0; i < MAXFD; i++) {
		if (!mapped(INDEX2FD(i))) {
			*fd_store = reinterpret_cast<Fd *>(INDEX2FD(i));
			return 0;
		}
	}
	*fd_store = nullptr;
	return -E_MAX_OPEN;
}

int
fd_lookup(int fdnum, Fd **fd_store)
{
	if (fdnum < 0 || fdnum >= MAXFD || !mapped(INDEX2FD(fdnum)))
		return -E_INVAL;
	*fd_store = reinterpret_cast<Fd *>(INDEX2FD(fdnum));
	return 0;
}

int
dev_lookup(int dev_id, Dev **dev)
{
	for (Dev *d : devtab)
		if (d->dev_id == dev_id) {
			*dev = d;
			return 0;
		}
	cprintf("[%08x] unknown device type %d\n", thisenv->env_id, dev_id);
	*dev = nullptr;
	return -E_INVAL;
}

// Closes fd: the device's own cleanup, then the Fd page, then the data
// page. With must_exist false, an fd that is not the one open at its number
// is silently ignored.
int
fd_close(Fd *fd, bool must_exist)
{
	Fd *fd2;
	int r;
	if ((r = fd_lookup(fd2num(fd), &fd2)) < 0 || fd != fd2)
		return must_exist ? r : 0;
	Dev *dev;
	if ((r = dev_lookup(fd->fd_dev_id, &dev)) >= 0)
		r = dev->dev_close ? dev->dev_close(fd) : 0;
	char *data = fd2data(fd);
	(void)sys_page_unmap(0, fd);
	if (mapped(reinterpret_cast<uintptr_t>(data)))
		(void)sys_page_unmap(0, data);
	return r;
}

int
close(int fdnum)
{
	Fd *fd;
	int r = fd_lookup(fdnum, &fd);
	if (r < 0)
		return r;
	return fd_close(fd, true);
}

void
close_all()
{
	for (int i = 0; i < MAXFD; i++)
		close(i);
}

// Makes newfdnum a duplicate of oldfdnum: both share one Fd page (and so
// one offset) and one data page. Closes newfdnum first if it is open.
int
dup(int oldfdnum, int newfdnum)
{
	Fd *oldfd;
	int r;
	if ((r = fd_lookup(oldfdnum, &oldfd)) < 0)
		return r;
	if (newfdnum < 0 || newfdnum >= MAXFD)
		return -E_INVAL;
	if (newfdnum == oldfdnum)
		return newfdnum;
	close(newfdnum);

	auto newfd = reinterpret_cast<Fd *>(INDEX2FD(newfdnum));
	uintptr_t ova = reinterpret_cast<uintptr_t>(fd2data(oldfd));
	uintptr_t nva = reinterpret_cast<uintptr_t>(fd2data(newfd));
	pte_t pte = vpte(ova);
	if ((pte & PTE_P) && (r = sys_page_map(0, reinterpret_cast<void *>(ova), 0,
						 reinterpret_cast<void *>(nva),
						 pte & (PTE_SYSCALL | PTE_NX))) < 0)
		return r;
	pte = vpte(reinterpret_cast<uintptr_t>(oldfd));
	if ((r = sys_page_map(0, oldfd, 0, newfd, pte & (PTE_SYSCALL | PTE_NX))) < 0) {
		sys_page_unmap(0, reinterpret_cast<void *>(nva));
		return r;
	}
	return newfdnum;
}

ssize_t
read(int fdnum, void *buf, size_t n)
{
	Fd *fd;
	Dev *dev;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0 || (r = dev_lookup(fd->fd_dev_id, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_WRONLY) {
		cprintf("[%08x] read %d -- bad mode\n", thisenv->env_id, fdnum);
		return -E_INVAL;
	}
	if (!dev->dev_read)
		return -E_NOT_SUPP;
	return dev->dev_read(fd, buf, n);
}

ssize_t
readn(int fdnum, void *buf, size_t n)
{
	size_t tot = 0;
	while (tot < n) {
		ssize_t m = read(fdnum, static_cast<char *>(buf) + tot, n - tot);
		if (m < 0)
			return m;
		if (m == 0)
			break;
		tot += m;
	}
	return static_cast<ssize_t>(tot);
}

ssize_t
write(int fdnum, const void *buf, size_t n)
{
	Fd *fd;
	Dev *dev;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0 || (r = dev_lookup(fd->fd_dev_id, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_RDONLY) {
		cprintf("[%08x] write %d -- bad mode\n", thisenv->env_id, fdnum);
		return -E_INVAL;
	}
	if (!dev->dev_write)
		return -E_NOT_SUPP;
	return dev->dev_write(fd, buf, n);
}

int
seek(int fdnum, off_t offset)
{
	Fd *fd;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0)
		return r;
	if (offset < 0)
		return -E_INVAL;
	fd->fd_offset = offset;
	return 0;
}

int
ftruncate(int fdnum, off_t newsize)
{
	Fd *fd;
	Dev *dev;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0 || (r = dev_lookup(fd->fd_dev_id, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_RDONLY) {
		cprintf("[%08x] ftruncate %d -- bad mode\n", thisenv->env_id, fdnum);
		return -E_INVAL;
	}
	if (!dev->dev_trunc)
		return -E_NOT_SUPP;
	return dev->dev_trunc(fd, newsize);
}

int
fstat(int fdnum, Stat *st)
{
	Fd *fd;
	Dev *dev;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0 || (r = dev_lookup(fd->fd_dev_id, &dev)) < 0)
		return r;
	if (!dev->dev_stat)
		return -E_NOT_SUPP;
	st->st_name[0] = 0;
	st->st_size = 0;
	st->st_isdir = 0;
	st->st_dev = dev;
	return dev->dev_stat(fd, st);
}

int
stat(const char *path, Stat *st)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = fstat(fd, st);
	close(fd);
	return r;
}
