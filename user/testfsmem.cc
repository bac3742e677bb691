// The file-system server out of memory (grade/test_lab5_promises.py boots it
// with little memory, on a copy of make's image): this program takes every
// free page there is, then reads and writes files. The server must give
// up clean blocks of its cache to bring others in, and where even that
// cannot help, answer "out of memory" and go on; never end. One line per
// check, saying what happened.
#include <inc/lib.h>

namespace {

// Where the pages taken go.
constexpr uintptr_t kHoard = 0x40000000;
char buf[16384];

// Reads a whole file; returns its size, or the first error.
ssize_t
read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	ssize_t total = 0, n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return n < 0 ? n : total;
}

const char *
size_or_error(ssize_t n)
{
	static char s[32];
	if (n < 0)
		return error_string(static_cast<int>(n));
	snprintf(s, sizeof(s), "%ld bytes", static_cast<long>(n));
	return s;
}

} // namespace

void
umain(int, char **)
{
	// Some files in the server's cache first; and eight open at once, so
	// that the server has a page for each of eight open files. Six stay
	// open.
	ssize_t lorem = read_file("/lorem");
	int held[8];
	for (int &fd : held)
		if ((fd = open("/motd", O_RDONLY)) < 0)
			panic("open /motd: %s", error_string(fd));
	close(held[6]);
	close(held[7]);

	// Every free page.
	long taken = 0;
	while (sys_page_alloc(0, reinterpret_cast<void *>(kHoard + taken * PGSIZE),
			      PTE_P | PTE_U | PTE_W) == 0)
		taken++;
	cprintf("testfsmem: took every free page (%s)\n", taken > 1000 ? "over 1000" : "few");

	// Reads of files the cache does not hold: it must give up blocks.
	ssize_t cat = read_file("/cat");
	ssize_t sh = read_file("/sh");
	cprintf("testfsmem: out of memory, read /cat: %s", size_or_error(cat));
	cprintf("; /sh: %s\n", size_or_error(sh));

	// A write: new blocks, each a page of the cache.
	int fd = open("/memfile", O_RDWR | O_CREAT | O_TRUNC);
	ssize_t wrote = fd;
	if (fd >= 0) {
		for (int i = 0; i < static_cast<int>(sizeof(buf)); i++)
			buf[i] = static_cast<char>('a' + i % 23);
		wrote = 0;
		for (int i = 0; i < 8; i++) {
			ssize_t n = write(fd, buf, sizeof(buf));
			if (n < 0) {
				wrote = wrote > 0 ? wrote : n;
				break;
			}
			wrote += n;
		}
		close(fd);
	}
	cprintf("testfsmem: out of memory, wrote /memfile: %s\n", size_or_error(wrote));

	// Two more open files: the server has pages for them. A third needs
	// a page it has not got: it says so.
	int a = open("/motd", O_RDONLY), b = open("/motd", O_RDONLY);
	int r = open("/newmotd", O_RDONLY);
	cprintf("testfsmem: out of memory, the 7th and 8th open files: %s, %s; the 9th: %s\n",
		a < 0 ? error_string(a) : "ok", b < 0 ? error_string(b) : "ok",
		r < 0 ? error_string(r) : "ok");
	int opened[] = {a, b, r};
	for (int fdo : opened)
		if (fdo >= 0)
			close(fdo);

	// Memory back: everything works as before.
	for (long i = 0; i < taken; i++)
		sys_page_unmap(0, reinterpret_cast<void *>(kHoard + i * PGSIZE));
	for (int i = 0; i < 6; i++)
		close(held[i]);
	r = open("/newmotd", O_RDONLY);
	cprintf("testfsmem: memory back, open /newmotd: %s; read /lorem: %s\n",
		r < 0 ? error_string(r) : "ok", size_or_error(read_file("/lorem")));
	if (r >= 0)
		close(r);
	cprintf("testfsmem: /lorem was %s before\n", size_or_error(lorem));
	r = sync();
	cprintf("testfsmem: done; sync: %s\n", r < 0 ? error_string(r) : "ok");
}
