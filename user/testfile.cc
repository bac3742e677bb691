// The file server's requests, one by one, then through the fd layer
// (JOS lab 5's testfile).
#include <inc/lib.h>

// The client library's request page (lib/file.cc).
extern Fsipc fsipcbuf;

namespace {

const char msg[] = "This is the NEW message of the day!\n\n";

// A page for an Fd the server sends back, away from the descriptor table.
Fd *const fva = reinterpret_cast<Fd *>(0xCCCCC000);

// Opens path without the fd layer: the request by hand.
int
xopen(const char *path, int mode)
{
	strcpy(fsipcbuf.open.req_path, path);
	fsipcbuf.open.req_omode = mode;
	envid_t fsenv = ipc_find_env(ENV_TYPE_FS);
	int32_t answer;
	int r = ipc_call(fsenv, FSREQ_OPEN, &fsipcbuf, PTE_P | PTE_W | PTE_U, fva, &answer, nullptr);
	return r < 0 ? r : answer;
}

} // namespace

void
umain(int, char **)
{
	int r, f;
	Stat st;
	static char buf[512];

	if ((r = xopen("/not-found", O_RDONLY)) < 0 && r != -E_NOT_FOUND)
		panic("serve_open /not-found: %s", error_string(r));
	else if (r >= 0)
		panic("serve_open /not-found succeeded!");

	if ((r = xopen("/newmotd", O_RDONLY)) < 0)
		panic("serve_open /newmotd: %s", error_string(r));
	if (fva->fd_dev_id != 'f' || fva->fd_offset != 0 || fva->fd_omode != O_RDONLY)
		panic("serve_open did not fill struct Fd correctly");
	cprintf("serve_open is good\n");

	if ((r = devfile.dev_stat(fva, &st)) < 0)
		panic("file_stat: %s", error_string(r));
	if (strlen(msg) != static_cast<size_t>(st.st_size))
		panic("file_stat returned size %ld wanted %zu", st.st_size, strlen(msg));
	cprintf("file_stat is good\n");

	memset(buf, 0, sizeof(buf));
	if ((r = devfile.dev_read(fva, buf, sizeof(buf))) < 0)
		panic("file_read: %s", error_string(r));
	if (strcmp(buf, msg) != 0)
		panic("file_read returned wrong data");
	cprintf("file_read is good\n");

	if ((r = devfile.dev_close(fva)) < 0)
		panic("file_close: %s", error_string(r));
	cprintf("file_close is good\n");

	// Unmapping the Fd makes the file id stale: the server must refuse it.
	// (A copy of the Fd still names it.)
	Fd fdcopy = *fva;
	sys_page_unmap(0, fva);
	if ((r = devfile.dev_read(&fdcopy, buf, sizeof(buf))) != -E_INVAL)
		panic("serve_read does not handle stale fileids correctly: %s", error_string(r));
	cprintf("stale fileid is good\n");

	// Writing.
	if ((r = xopen("/new-file", O_RDWR | O_CREAT)) < 0)
		panic("serve_open /new-file: %s", error_string(r));
	if ((r = devfile.dev_write(fva, msg, strlen(msg))) != static_cast<int>(strlen(msg)))
		panic("file_write: %s", error_string(r));
	cprintf("file_write is good\n");

	fva->fd_offset = 0;
	memset(buf, 0, sizeof(buf));
	if ((r = devfile.dev_read(fva, buf, sizeof(buf))) < 0)
		panic("file_read after file_write: %s", error_string(r));
	if (r != static_cast<int>(strlen(msg)))
		panic("file_read after file_write returned wrong length: %d", r);
	if (strcmp(buf, msg) != 0)
		panic("file_read after file_write returned wrong data");
	cprintf("file_read after file_write is good\n");

	// Through the fd layer.
	if ((r = open("/not-found", O_RDONLY)) < 0 && r != -E_NOT_FOUND)
		panic("open /not-found: %s", error_string(r));
	else if (r >= 0)
		panic("open /not-found succeeded!");

	if ((r = open("/newmotd", O_RDONLY)) < 0)
		panic("open /newmotd: %s", error_string(r));
	Fd *fd = reinterpret_cast<Fd *>(INDEX2FD(r));
	if (fd->fd_dev_id != 'f' || fd->fd_offset != 0 || fd->fd_omode != O_RDONLY)
		panic("open did not fill struct Fd correctly");
	cprintf("open is good\n");

	// A file with indirect blocks: every 512 bytes carry their offset.
	if ((f = open("/big", O_WRONLY | O_CREAT)) < 0)
		panic("creat /big: %s", error_string(f));
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < (NDIRECT * 3) * BLKSIZE; i += sizeof(buf)) {
		*reinterpret_cast<int *>(buf) = i;
		if ((r = write(f, buf, sizeof(buf))) < 0)
			panic("write /big@%d: %s", i, error_string(r));
	}
	close(f);

	if ((f = open("/big", O_RDONLY)) < 0)
		panic("open /big: %s", error_string(f));
	for (int i = 0; i < (NDIRECT * 3) * BLKSIZE; i += sizeof(buf)) {
		*reinterpret_cast<int *>(buf) = i;
		if ((r = readn(f, buf, sizeof(buf))) < 0)
			panic("read /big@%d: %s", i, error_string(r));
		if (r != sizeof(buf))
			panic("read /big from %d returned %d < %zu bytes", i, r, sizeof(buf));
		if (*reinterpret_cast<int *>(buf) != i)
			panic("read /big from %d returned bad data %d", i, *reinterpret_cast<int *>(buf));
	}
	close(f);
	cprintf("large file is good\n");
}
