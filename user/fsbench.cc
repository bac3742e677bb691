// The file-system benchmark (make bench, bench/boot.py): a 1 MiB file
// written and then read back through the server, by one client, then by
// four at once (each its own file). Each phase starts together and is
// timed with the TSC, which the host turns into MB/s with the frequency
// the kernel's "clock:" line gives. Nobody spins while it waits (a client
// that is done early, the parent): the barriers and the end are IPC, and
// a waiting environment is not runnable, so that only the clients and the
// server use the CPUs.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {

constexpr int kFileSize = 1 << 20;
constexpr int kChunk = 64 * 1024;	// what each write and read asks for
constexpr int kMaxClients = 4;

// The page the clients share (PTE_SHARE: fork shares it).
struct Shared {
	// Per client, the TSC when its writes began and ended, and its reads.
	uint64_t wstart[kMaxClients], wend[kMaxClients];
	uint64_t rstart[kMaxClients], rend[kMaxClients];
};
Shared *const shared = reinterpret_cast<Shared *>(0x0B000000);

char buf[kChunk];

envid_t parent;

// A client at a barrier: tells the parent, and waits for it to say go.
void
barrier(int nclients)
{
	if (nclients == 1)
		return;
	ipc_send(parent, 0, nullptr, 0);
	envid_t from;
	do
		ipc_recv(&from, nullptr, nullptr);
	while (from != parent);
}

// The parent: waits until every client has reached the barrier (or ended),
// then lets them go.
void
release(const envid_t *kids, int nclients, bool go)
{
	for (int i = 0; i < nclients; i++)
		ipc_recv(nullptr, nullptr, nullptr);
	for (int i = 0; go && i < nclients; i++)
		ipc_send(kids[i], 0, nullptr, 0);
}

// Writes and reads back /benchN; records the times in shared.
void
client(int i, int nclients)
{
	char path[32];
	snprintf(path, sizeof(path), "/bench%d", i + (nclients > 1 ? 1 : 0));
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0)
		panic("fsbench: open %s: %s", path, error_string(fd));
	for (int k = 0; k < kChunk; k++)
		buf[k] = static_cast<char>('a' + (k + i) % 26);

	barrier(nclients);
	shared->wstart[i] = rdtsc();
	for (int off = 0; off < kFileSize; off += kChunk) {
		ssize_t r = write(fd, buf, kChunk);
		if (r != kChunk)
			panic("fsbench: write %s at %d: %ld", path, off, static_cast<long>(r));
	}
	shared->wend[i] = rdtsc();

	barrier(nclients);
	shared->rstart[i] = rdtsc();
	seek(fd, 0);
	for (int off = 0; off < kFileSize; off += kChunk) {
		ssize_t r = readn(fd, buf, kChunk);
		if (r != kChunk)
			panic("fsbench: read %s at %d: %ld", path, off, static_cast<long>(r));
		if (buf[0] != static_cast<char>('a' + i % 26))
			panic("fsbench: %s holds the wrong bytes at %d", path, off);
	}
	shared->rend[i] = rdtsc();
	close(fd);
	if (nclients > 1)
		ipc_send(parent, 0, nullptr, 0);	// done
}

// One line per phase: the bytes moved, and the TSC ticks from the first
// client's start to the last one's end.
void
report(int nclients)
{
	uint64_t wstart = ~0UL, wend = 0, rstart = ~0UL, rend = 0;
	for (int i = 0; i < nclients; i++) {
		wstart = MIN(wstart, shared->wstart[i]);
		wend = MAX(wend, shared->wend[i]);
		rstart = MIN(rstart, shared->rstart[i]);
		rend = MAX(rend, shared->rend[i]);
	}
	cprintf("fsbench: %d client%s: wrote %d bytes in %lu ticks, read %d bytes in %lu ticks\n",
		nclients, nclients > 1 ? "s" : "", nclients * kFileSize, wend - wstart,
		nclients * kFileSize, rend - rstart);
}

} // namespace

void
umain(int, char **)
{
	int r = sys_page_alloc(0, shared, PTE_P | PTE_U | PTE_W | PTE_SHARE | PTE_NX);
	if (r < 0)
		panic("fsbench: sys_page_alloc: %s", error_string(r));

	client(0, 1);
	report(1);

	parent = thisenv->env_id;
	envid_t kids[kMaxClients];
	for (int i = 0; i < kMaxClients; i++) {
		if ((kids[i] = fork()) < 0)
			panic("fsbench: fork: %s", error_string(kids[i]));
		if (kids[i] == 0) {
			client(i, kMaxClients);
			exit();
		}
	}
	release(kids, kMaxClients, true);	// writes
	release(kids, kMaxClients, true);	// reads
	release(kids, kMaxClients, false);	// done
	for (envid_t kid : kids)
		wait(kid);
	report(kMaxClients);
	cprintf("fsbench: done\n");
}
