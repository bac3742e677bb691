// Several clients of the file server at once, on as many CPUs as the
// scheduler spreads them over: each writes a file of its own (with a
// pattern that depends on the client and the offset, and a rewritten
// stretch in the middle), reads it back, and checks every byte. The graders
// check the files again in the disk image afterwards (grade/fsimage.py).
#include <inc/lib.h>

namespace {

constexpr int kClients = 6;
constexpr int kChunk = 1000;		// writes not aligned to blocks
constexpr int kRewriteAt = 5000, kRewriteLen = 3000;

int
file_size(int i)
{
	return 44000 + i * 1000;	// past NDIRECT blocks: an indirect block too
}

// The byte at offset k of client i's file (grade/test_lab5.py computes
// the same).
char
pattern(int i, int k)
{
	if (k >= kRewriteAt && k < kRewriteAt + kRewriteLen)
		return static_cast<char>('A' + i);
	return static_cast<char>((k * 7 + i * 13 + (k >> 12)) & 0xFF);
}

char buf[kChunk];

[[noreturn]] void
client(int i)
{
	char path[32];
	snprintf(path, sizeof(path), "/client%d", i);
	int cpu_start = thisenv->env_cpunum;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0)
		panic("%s: open: %s", path, error_string(fd));
	int size = file_size(i);
	// The file with the rewritten stretch still in its first form.
	for (int off = 0; off < size; off += kChunk) {
		int n = MIN(kChunk, size - off);
		for (int k = 0; k < n; k++)
			buf[k] = static_cast<char>(((off + k) * 7 + i * 13 + ((off + k) >> 12)) & 0xFF);
		ssize_t r = write(fd, buf, n);
		if (r != n)
			panic("%s: write at %d: %ld", path, off, static_cast<long>(r));
		sys_yield();	// let the others in between
	}
	// The rewrite, through a second descriptor of our own.
	int fd2 = open(path, O_RDWR);
	if (fd2 < 0)
		panic("%s: second open: %s", path, error_string(fd2));
	memset(buf, 'A' + i, sizeof(buf));
	seek(fd2, kRewriteAt);
	for (int done = 0; done < kRewriteLen; done += kChunk)
		if (write(fd2, buf, kChunk) != kChunk)
			panic("%s: rewrite", path);
	close(fd2);
	int cpu_mid = thisenv->env_cpunum;

	// Read it all back.
	seek(fd, 0);
	for (int off = 0; off < size; off += kChunk) {
		int n = MIN(kChunk, size - off);
		ssize_t r = readn(fd, buf, n);
		if (r != n)
			panic("%s: read at %d: %ld", path, off, static_cast<long>(r));
		for (int k = 0; k < n; k++)
			if (buf[k] != pattern(i, off + k))
				panic("%s: byte %d is %02x, should be %02x", path, off + k,
				      buf[k] & 0xFF, pattern(i, off + k) & 0xFF);
	}
	if (read(fd, buf, 1) != 0)
		panic("%s: more than %d bytes", path, size);
	close(fd);
	cprintf("fsclients: client %d (CPUs %d %d %d) wrote and read back %s: %d bytes ok\n", i,
		cpu_start, cpu_mid, thisenv->env_cpunum, path, size);
	exit();
}

} // namespace

void
umain(int, char **)
{
	envid_t kids[kClients];
	for (int i = 0; i < kClients; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			panic("fork: %s", error_string(kids[i]));
		if (kids[i] == 0)
			client(i);
	}
	for (envid_t kid : kids)
		wait(kid);
	int r = sync();
	cprintf("fsclients: all %d clients done; sync: %s\n", kClients,
		r < 0 ? error_string(r) : "ok");
}
