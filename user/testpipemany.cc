// Pipes with several writers and readers at once, on as many CPUs as there
// are (grade/test_lab5_promises.py boots it on 4): every byte must reach
// exactly one reader, and each write of PIPE_BUF bytes must arrive whole.
//
// First three writers, each writing kBytes of its own letter in writes of
// PIPE_BUF bytes, and one reader, which checks that the stream is made of
// whole writes (each PIPE_BUF-byte piece of it, from the start, one
// letter). Then three writers and three readers, each reader counting the
// bytes of each letter it got: together they must have got each letter
// kBytes times.
#include <inc/lib.h>

namespace {

constexpr int kWriters = 3, kReaders = 3;
constexpr int kBytes = 60000;		// per writer: a whole number of writes
static_assert(kBytes % PIPE_BUF == 0);

// Per reader, the bytes of each letter it read (PTE_SHARE: fork shares it).
struct Counts {
	uint64_t got[kReaders][kWriters];
};
Counts *const counts = reinterpret_cast<Counts *>(0x0B000000);

[[noreturn]] void
writer(int p[2], int w)
{
	close(p[0]);
	char rec[PIPE_BUF];
	memset(rec, 'a' + w, sizeof(rec));
	for (int i = 0; i < kBytes; i += PIPE_BUF)
		if (write(p[1], rec, sizeof(rec)) != static_cast<ssize_t>(sizeof(rec)))
			panic("writer %c: write at %d", 'a' + w, i);
	exit();
}

void
start_writers(int p[2], envid_t *kids)
{
	for (int w = 0; w < kWriters; w++) {
		if ((kids[w] = fork()) < 0)
			panic("fork: %s", error_string(kids[w]));
		if (kids[w] == 0)
			writer(p, w);
	}
}

// Reads until end of file, counting each letter; with whole, checks that
// each PIPE_BUF-byte piece of the stream is one letter.
void
read_all(int fd, int reader, bool whole, int *broken)
{
	static char buf[1000];
	char piece[PIPE_BUF];
	size_t inpiece = 0;
	uint64_t got[kWriters] = {};
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			int w = buf[i] - 'a';
			if (w < 0 || w >= kWriters)
				panic("reader %d: byte %02x in the pipe", reader, buf[i] & 0xFF);
			got[w]++;
			if (!whole)
				continue;
			piece[inpiece++] = buf[i];
			if (inpiece == PIPE_BUF) {
				for (size_t k = 1; k < PIPE_BUF; k++)
					if (piece[k] != piece[0]) {
						(*broken)++;
						break;
					}
				inpiece = 0;
			}
		}
	if (n < 0)
		panic("reader %d: read: %s", reader, error_string(static_cast<int>(n)));
	for (int w = 0; w < kWriters; w++)
		counts->got[reader][w] = got[w];
}

void
report(const char *what, int nreaders)
{
	char line[200];
	int len = snprintf(line, sizeof(line), "testpipemany: %s:", what);
	for (int w = 0; w < kWriters; w++) {
		uint64_t total = 0;
		for (int r = 0; r < nreaders; r++)
			total += counts->got[r][w];
		len += snprintf(line + len, sizeof(line) - len, " %c=%lu", 'a' + w, total);
	}
	cprintf("%s (each writer wrote %d)\n", line, kBytes);
}

} // namespace

void
umain(int, char **)
{
	int p[2], r;
	envid_t writers[kWriters], readers[kReaders];
	if ((r = sys_page_alloc(0, counts, PTE_P | PTE_U | PTE_W | PTE_SHARE)) < 0)
		panic("sys_page_alloc: %s", error_string(r));

	// Three writers, one reader.
	if ((r = pipe(p)) < 0)
		panic("pipe: %s", error_string(r));
	start_writers(p, writers);
	close(p[1]);
	int broken = 0;
	read_all(p[0], 0, true, &broken);
	close(p[0]);
	for (envid_t w : writers)
		wait(w);
	report("3 writers, 1 reader", 1);
	cprintf("testpipemany: writes of PIPE_BUF (%d) bytes that arrived in pieces: %d\n", PIPE_BUF,
		broken);

	// Three writers, three readers.
	memset(counts, 0, sizeof(*counts));
	if ((r = pipe(p)) < 0)
		panic("pipe: %s", error_string(r));
	start_writers(p, writers);
	for (int i = 0; i < kReaders; i++) {
		if ((readers[i] = fork()) < 0)
			panic("fork: %s", error_string(readers[i]));
		if (readers[i] == 0) {
			close(p[1]);
			int unused = 0;
			read_all(p[0], i, false, &unused);
			exit();
		}
	}
	close(p[0]);
	close(p[1]);
	for (envid_t w : writers)
		wait(w);
	for (envid_t rd : readers)
		wait(rd);
	report("3 writers, 3 readers", kReaders);

	// A pipe whose page is mapped 65537 times in all (both ends, and
	// 65535 more mappings): the counts pipeisclosed compares must not be
	// cut to 16 bits (65537 would look like 1, the reader's own count).
	if ((r = pipe(p)) < 0)
		panic("pipe: %s", error_string(r));
	Fd *rfd;
	fd_lookup(p[0], &rfd);
	for (uintptr_t i = 0; i < 65535; i++)
		if ((r = sys_page_map(0, fd2data(rfd), 0, reinterpret_cast<void *>(0x100000000UL + i * PGSIZE),
				      PTE_P | PTE_U | PTE_W)) < 0)
			panic("sys_page_map %lu: %s", i, error_string(r));
	cprintf("testpipemany: with the pipe's page mapped 65537 times and both ends open, "
		"pipeisclosed: %s\n", pipeisclosed(p[0]) ? "yes" : "no");
}
