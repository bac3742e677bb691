// One client of the file-system server against another (grade/
// test_lab5_promises.py boots it on 2 CPUs, on a copy of make's image, and
// checks the image afterwards): a file removed while it is open; a stranger
// that guesses file ids; a read through a write-only descriptor, and a
// write through a read-only one; a client that never takes its answer; IPC
// from a third environment in the middle of a client's request; a client
// that keeps every open file it can; requests that ask for more than a
// page. One line per check, saying what happened.
#include <inc/atomic.h>
#include <inc/lib.h>

// The client library's request page (lib/file.cc).
extern Fsipc fsipcbuf;

namespace {

char buf[8192];

// A page the environments share (PTE_SHARE: fork shares it).
struct Shared {
	Atomic<int> step;	// how far the main environment is
	int32_t fileid;		// the id of a file the stranger was not given
};
Shared *const shared = reinterpret_cast<Shared *>(0x0B000000);

const char *
outcome(int r)
{
	return r < 0 ? error_string(r) : "ok";
}

void
wait_step(int n)
{
	while (shared->step.load() < n)
		sys_yield();
}

int
open_or_panic(const char *path, int mode)
{
	int fd = open(path, mode);
	if (fd < 0)
		panic("open %s: %s", path, error_string(fd));
	return fd;
}

void
write_file(const char *path, char c, int n)
{
	int fd = open_or_panic(path, O_WRONLY | O_CREAT | O_TRUNC);
	memset(buf, c, n);
	if (write(fd, buf, n) != n)
		panic("write %s", path);
	close(fd);
}

// A file removed while open keeps its data for its descriptor, and the
// descriptor never reaches the file that takes its place.
void
removed_while_open()
{
	write_file("/a", 'a', 4096);
	int fd = open_or_panic("/a", O_RDWR);
	envid_t kid = fork();
	if (kid == 0) {
		// Another environment removes /a and makes /b.
		close(fd);
		cprintf("testfsclients: remove /a while open: %s\n", outcome(remove("/a")));
		write_file("/b", 'B', 8);
		exit();
	}
	wait(kid);
	ssize_t n = write(fd, "XXXX", 4);
	seek(fd, 0);
	ssize_t got = readn(fd, buf, sizeof(buf));
	bool a_ok = got == 4096 && memcmp(buf, "XXXX", 4) == 0;
	for (int i = 4; a_ok && i < 4096; i++)
		a_ok = buf[i] == 'a';
	int b = open_or_panic("/b", O_RDONLY);
	ssize_t bn = readn(b, buf, sizeof(buf));
	buf[bn > 0 ? bn : 0] = '\0';
	close(b);
	cprintf("testfsclients: the removed /a's descriptor wrote %ld bytes, and reads back %s; /b "
		"holds '%s'\n", static_cast<long>(n), a_ok ? "its own data" : "something else", buf);
	close(fd);

	// /d/x open; /d/x and /d removed; 8 KiB written elsewhere; then the
	// descriptor writes.
	int r = open("/d", O_RDONLY | O_CREAT | O_MKDIR);
	if (r < 0)
		panic("mkdir /d: %s", error_string(r));
	close(r);
	write_file("/d/x", 'x', 100);
	fd = open_or_panic("/d/x", O_RDWR);
	if ((kid = fork()) == 0) {
		close(fd);
		int r1 = remove("/d/x"), r2 = remove("/d");
		cprintf("testfsclients: remove /d/x, then /d: %s, %s\n", outcome(r1), outcome(r2));
		write_file("/z", 'z', 8192);
		exit();
	}
	wait(kid);
	seek(fd, 100);
	memset(buf, 'y', 5000);
	n = write(fd, buf, 5000);
	seek(fd, 0);
	got = readn(fd, buf, sizeof(buf));
	bool x_ok = got == 5100;
	for (int i = 0; x_ok && i < 5100; i++)
		x_ok = buf[i] == (i < 100 ? 'x' : 'y');
	cprintf("testfsclients: the removed /d/x's descriptor wrote %ld bytes, and reads back %s\n",
		static_cast<long>(n), x_ok ? "its own data" : "something else");
	close(fd);
}

// A stranger, forked before the file was opened, so that it does not hold
// it: every file id it tries is refused, the one it was told as well.
void
stranger()
{
	int fd = open_or_panic("/secret", O_RDWR | O_CREAT | O_TRUNC);
	write(fd, "secret", 6);
	Fd *real;
	fd_lookup(fd, &real);
	shared->fileid = real->fd_file.id;
	off_t offset = real->fd_offset;
	shared->step.store(2);
	wait_step(3);
	cprintf("testfsclients: the owner's offset after the stranger: %ld (was %ld)\n",
		static_cast<long>(real->fd_offset), static_cast<long>(offset));
	close(fd);
	fd = open_or_panic("/secret", O_RDONLY);
	ssize_t n = readn(fd, buf, sizeof(buf));
	cprintf("testfsclients: /secret holds %ld bytes\n", static_cast<long>(n));
	close(fd);
}

void
stranger_child()
{
	wait_step(2);
	// A page of its own that looks like an Fd.
	auto *fake = reinterpret_cast<Fd *>(0x0B001000);
	sys_page_alloc(0, fake, PTE_P | PTE_U | PTE_W);
	fake->fd_dev_id = devfile.dev_id;
	fake->fd_omode = O_RDWR;
	int used = 0;
	Stat st;
	for (int32_t id = 0; id < 4 * 1024; id++) {
		fake->fd_file.id = id;
		if (devfile.dev_stat(fake, &st) >= 0)
			used++;
	}
	fake->fd_file.id = shared->fileid;
	fake->fd_offset = 0;
	int r1 = devfile.dev_stat(fake, &st);
	int r2 = static_cast<int>(devfile.dev_read(fake, buf, 6));
	int r3 = static_cast<int>(devfile.dev_write(fake, "EVIL", 4));
	cprintf("testfsclients: a stranger got %d of 4096 file ids; with the real one, stat: %s, "
		"read: %s, write: %s\n", used, outcome(r1), outcome(r2), outcome(r3));
	shared->step.store(3);
	exit();
}

// A write-only descriptor cannot be read, even past the fd layer.
void
write_only()
{
	int fd = open_or_panic("/wo", O_WRONLY | O_CREAT | O_TRUNC);
	write(fd, "hidden", 6);
	Fd *f;
	fd_lookup(fd, &f);
	f->fd_offset = 0;
	ssize_t n = devfile.dev_read(f, buf, 6);
	cprintf("testfsclients: read through a write-only descriptor: %s\n",
		n < 0 ? error_string(static_cast<int>(n)) : "it read");
	close(fd);

	// Nor can a read-only one be written.
	fd = open_or_panic("/wo", O_RDONLY);
	fd_lookup(fd, &f);
	n = devfile.dev_write(f, "x", 1);
	cprintf("testfsclients: write through a read-only descriptor: %s\n",
		n < 0 ? error_string(static_cast<int>(n)) : "it wrote");
	close(fd);
}

// A request sent by hand, past the fd layer (which never asks for more
// than a page): the server's answer.
int
request(unsigned type)
{
	int32_t answer;
	int r = ipc_call(ipc_find_env(ENV_TYPE_FS), type, &fsipcbuf, PTE_P | PTE_W | PTE_U, nullptr,
			 &answer, nullptr);
	return r < 0 ? r : answer;
}

// A read or write request that asks for more than its page holds: the
// server keeps to the page (the reply's buffer, the request's), whatever
// the count says.
void
oversized()
{
	write_file("/over", 'o', 8192);
	int fd = open_or_panic("/over", O_RDWR);
	Fd *f;
	fd_lookup(fd, &f);
	const uint32_t ask = 1 << 20;
	fsipcbuf.read.req_fileid = f->fd_file.id;
	fsipcbuf.read.req_fd = reinterpret_cast<uint64_t>(f);
	fsipcbuf.read.req_n = ask;
	int got = request(FSREQ_READ);
	fsipcbuf.write.req_fileid = f->fd_file.id;
	fsipcbuf.write.req_fd = reinterpret_cast<uint64_t>(f);
	fsipcbuf.write.req_n = ask;
	memset(fsipcbuf.write.req_buf, 'w', sizeof(fsipcbuf.write.req_buf));
	int put = request(FSREQ_WRITE);
	cprintf("testfsclients: a read request for %u bytes: %d back; a write request for %u "
		"bytes: %d written\n", ask, got, ask, put);
	close(fd);
}

// A client that sends a request and never takes the answer: the others
// are served all the same.
void
rogue_child()
{
	envid_t fsenv = ipc_find_env(ENV_TYPE_FS);
	fsipcbuf.stat.req_fileid = 0;
	ipc_send(fsenv, FSREQ_SYNC, &fsipcbuf, PTE_P | PTE_W | PTE_U);
	shared->step.store(5);
	wait_step(6);
	exit();
}

void
served_despite_rogue()
{
	wait_step(5);
	int fd = open("/motd", O_RDONLY);
	ssize_t n = fd < 0 ? fd : readn(fd, buf, sizeof(buf));
	cprintf("testfsclients: with a client that never takes its answer, read /motd: %ld bytes\n",
		static_cast<long>(n));
	if (fd >= 0)
		close(fd);
	shared->step.store(6);
}

// A third environment sends IPC to this one all the time it reads: every
// read still gets the server's answer, and only it.
void
noisy_child(envid_t target)
{
	while (shared->step.load() < 8)
		sys_ipc_try_send(target, 7777, reinterpret_cast<void *>(UTOP), 0);
	exit();
}

void
reads_amid_noise()
{
	static char lorem[8192];
	int fd = open_or_panic("/lorem", O_RDONLY);
	ssize_t size = readn(fd, lorem, sizeof(lorem));
	close(fd);
	shared->step.store(7);
	int bad = 0, reads = 0;
	for (int round = 0; round < 20; round++) {
		fd = open_or_panic("/lorem", O_RDONLY);
		for (ssize_t off = 0; off < size; reads++) {
			ssize_t n = read(fd, buf, 98);
			if (n != MIN<ssize_t>(98, size - off) || memcmp(buf, lorem + off, n) != 0)
				bad++;
			if (n <= 0)
				break;
			off += n;
		}
		close(fd);
	}
	shared->step.store(8);
	cprintf("testfsclients: %d reads of /lorem amid another environment's IPC: %d wrong\n",
		reads, bad);
}

// A client that keeps open every file it can: it gets its share, and the
// others can still open files.
void
hoarder_child()
{
	int n = 0, r;
	for (;; n++) {
		if ((r = open("/motd", O_RDONLY)) < 0)
			break;
		// Keep the Fd page at an address of our own; free the number.
		Fd *fd;
		fd_lookup(r, &fd);
		void *keep = reinterpret_cast<void *>(0x20000000UL + n * PGSIZE);
		if (sys_page_map(0, fd, 0, keep, PTE_P | PTE_U | PTE_W | PTE_SHARE) < 0)
			panic("sys_page_map");
		sys_page_unmap(0, fd);
		if (n == 2000)
			break;
	}
	cprintf("testfsclients: one environment opened %d files, then: %s\n", n, outcome(r));
	shared->step.store(10);
	wait_step(11);
	exit();
}

void
open_despite_hoarder()
{
	wait_step(10);
	int fd = open("/motd", O_RDONLY);
	cprintf("testfsclients: another environment then opens /motd: %s\n", outcome(fd));
	if (fd >= 0)
		close(fd);
	shared->step.store(11);
}

} // namespace

void
umain(int, char **)
{
	int r = sys_page_alloc(0, shared, PTE_P | PTE_U | PTE_W | PTE_SHARE);
	if (r < 0)
		panic("sys_page_alloc: %s", error_string(r));
	removed_while_open();

	envid_t kid = fork();
	if (kid == 0)
		stranger_child();
	stranger();
	wait(kid);
	write_only();

	shared->step.store(4);
	if ((kid = fork()) == 0)
		rogue_child();
	served_despite_rogue();
	wait(kid);

	envid_t me = thisenv->env_id;
	if ((kid = fork()) == 0)
		noisy_child(me);
	reads_amid_noise();
	wait(kid);

	shared->step.store(9);
	if ((kid = fork()) == 0)
		hoarder_child();
	open_despite_hoarder();
	wait(kid);

	oversized();

	r = sync();
	cprintf("testfsclients: done; sync: %s\n", outcome(r));
}
