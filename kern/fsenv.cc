// Whether, and when, the file-system server starts.
//
// The server owns the disk; the kernel only looks, once, whether there is
// one: the primary IDE channel's status register (0x1F7) floats to 0xFF
// when no controller decodes it, and reads 0 when the controller has no
// drive 0 (QEMU's -device piix3-ide with -device ide-hd; GNUmakefile's
// DISK=). A drive that is there says "ready" (DRDY) once selected.

#include <inc/stdio.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/cmdline.h>
#include <kern/env.h>
#include <kern/fsenv.h>
#include <kern/printf.h>

namespace {

constexpr uint16_t IDE_DRIVE = 0x1F6, IDE_STATUS = 0x1F7;
constexpr uint8_t IDE_BSY = 0x80, IDE_DRDY = 0x40;

// True if the primary channel has a drive 0 that says it is ready.
bool
ide_disk_present()
{
	if (inb(IDE_STATUS) == 0xFF)
		return false;
	outb(IDE_DRIVE, 0xE0);		// drive 0, LBA
	for (int i = 0; i < 100000; i++) {
		uint8_t s = inb(IDE_STATUS);
		if (s == 0xFF || s == 0)
			return false;
		if (!(s & IDE_BSY))
			return (s & IDE_DRDY) != 0;
	}
	return false;
}

// The first run= program that uses the file system, or nullptr.
const char *
fs_client_asked_for()
{
	for (int i = 0; i < kargs.nrun; i++) {
		const UserProgram *p = user_program(kargs.run[i].name);
		if (p != nullptr && (p->flags & PROG_FS_CLIENT))
			return p->name;
	}
	return nullptr;
}

bool
run_names_server()
{
	for (int i = 0; i < kargs.nrun; i++) {
		const UserProgram *p = user_program(kargs.run[i].name);
		if (p != nullptr && (p->flags & PROG_FS_SERVER))
			return true;
	}
	return false;
}

} // namespace

void
fs_env_start()
{
	if (kargs.fs == FsStart::Off || run_names_server())
		return;
	const char *client = fs_client_asked_for();
	if (kargs.fs == FsStart::Auto && client == nullptr)
		return;		// nobody needs it
	const UserProgram *server = nullptr;
	for (const UserProgram *p = user_programs; p->name && !server; p++)
		if (p->flags & PROG_FS_SERVER)
			server = p;
	if (server == nullptr) {
		cprintf("fs: this kernel has no file-system server built in\n");
		return;
	}
	if (kargs.fs == FsStart::Auto) {
		if (!ide_disk_present()) {
			cprintf("fs: no disk at the primary IDE channel (0x1F0): the file-system "
				"server is not started, and %s will find no files. Attach one with "
				"make's DISK= (the default, obj/fs/fs.img, is built by make), or "
				"fs=on to start the server anyway\n", client);
			return;
		}
	}
	Env *e = env_create(server->name);
	// fs=test: "fs test", which runs the server's self-test first.
	static const char *const test_args[] = {"fs", "test"};
	if (e != nullptr && kargs.fs == FsStart::Test)
		env_set_args(e, 2, test_args);
}
