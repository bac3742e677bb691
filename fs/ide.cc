// A minimal IDE driver: programmed I/O (the CPU moves every word through
// the data port, no DMA, no interrupts) to drive 0 of the primary channel,
// ports 0x1F0-0x1F7 and 0x3F6, with 28-bit LBA sector numbers. Only the
// file-system server runs it: it alone has I/O privilege (IOPL 3).
//
// Every wait for the drive is bounded: a drive that does not answer makes
// the request fail with a message, not the server hang.

#include <inc/x86.h>
#include "fs.h"

namespace {

constexpr uint16_t IDE_DATA = 0x1F0, IDE_NSECT = 0x1F2, IDE_LBA0 = 0x1F3, IDE_LBA1 = 0x1F4,
		   IDE_LBA2 = 0x1F5, IDE_DRIVE = 0x1F6, IDE_CMD = 0x1F7, IDE_STATUS = 0x1F7;
constexpr uint8_t IDE_BSY = 0x80, IDE_DRDY = 0x40, IDE_DF = 0x20, IDE_DRQ = 0x08, IDE_ERR = 0x01;
constexpr uint8_t CMD_READ = 0x20, CMD_WRITE = 0x30, CMD_IDENTIFY = 0xEC;

// Status polls before giving up: far more than QEMU or a real drive needs
// (each poll is an I/O port access, a microsecond or more).
constexpr long kMaxPolls = 20000000;

// Waits until the drive is not busy and says ready; with check_error,
// fails on the error or fault bits. Returns the status, or -1.
int
ide_wait_ready(bool check_error, const char *what)
{
	uint8_t s = 0;
	for (long i = 0; i < kMaxPolls; i++) {
		s = inb(IDE_STATUS);
		if ((s & (IDE_BSY | IDE_DRDY)) == IDE_DRDY) {
			if (check_error && (s & (IDE_DF | IDE_ERR))) {
				cprintf("ide: %s: the drive reports an error (status %#x)\n", what, s);
				return -1;
			}
			return s;
		}
		if (s == 0xFF)
			break;		// nothing on the bus
	}
	cprintf("ide: %s: the drive did not become ready (status %#x)\n", what, s);
	return -1;
}

// Waits for the drive to have a sector's data ready to move (DRQ).
bool
ide_wait_drq(const char *what)
{
	for (long i = 0; i < kMaxPolls; i++) {
		uint8_t s = inb(IDE_STATUS);
		if (s & IDE_BSY)
			continue;
		if (s & (IDE_DF | IDE_ERR)) {
			cprintf("ide: %s: the drive reports an error (status %#x)\n", what, s);
			return false;
		}
		if (s & IDE_DRQ)
			return true;
	}
	cprintf("ide: %s: the drive never offered the data\n", what);
	return false;
}

void
ide_start(uint32_t secno, size_t nsecs, uint8_t cmd)
{
	outb(IDE_NSECT, static_cast<uint8_t>(nsecs));
	outb(IDE_LBA0, secno & 0xFF);
	outb(IDE_LBA1, (secno >> 8) & 0xFF);
	outb(IDE_LBA2, (secno >> 16) & 0xFF);
	outb(IDE_DRIVE, 0xE0 | ((secno >> 24) & 0x0F));	// drive 0, LBA
	outb(IDE_CMD, cmd);
}

uint32_t disk_sectors;

bool
in_range(uint32_t secno, size_t nsecs, const char *what)
{
	if (nsecs == 0 || nsecs > 256 || secno >= disk_sectors || nsecs > disk_sectors - secno) {
		cprintf("ide: %s of %zu sectors at %u: past the end of the disk (%u sectors)\n", what,
			nsecs, secno, disk_sectors);
		return false;
	}
	return true;
}

} // namespace

uint32_t
ide_probe_disk()
{
	if (inb(IDE_STATUS) == 0xFF)
		return 0;	// no controller at 0x1F0
	outb(IDE_DRIVE, 0xE0);
	// A missing drive reads status 0 (or the bus floats).
	uint8_t s = inb(IDE_STATUS);
	if (s == 0 || s == 0xFF)
		return 0;
	if (ide_wait_ready(false, "probe") < 0)
		return 0;
	outb(IDE_CMD, CMD_IDENTIFY);
	if (!ide_wait_drq("identify"))
		return 0;
	uint16_t id[256];
	insl(IDE_DATA, id, sizeof(id) / 4);
	// Words 60-61: sectors addressable with 28-bit LBA.
	disk_sectors = id[60] | static_cast<uint32_t>(id[61]) << 16;
	return disk_sectors;
}

int
ide_read(uint32_t secno, void *dst, size_t nsecs)
{
	if (!in_range(secno, nsecs, "read"))
		return -E_INVAL;
	if (ide_wait_ready(false, "read") < 0)
		return -E_IO;
	ide_start(secno, nsecs, CMD_READ);
	auto *p = static_cast<char *>(dst);
	for (; nsecs > 0; nsecs--, p += SECTSIZE) {
		if (!ide_wait_drq("read"))
			return -E_IO;
		insl(IDE_DATA, p, SECTSIZE / 4);
	}
	return 0;
}

int
ide_write(uint32_t secno, const void *src, size_t nsecs)
{
	if (!in_range(secno, nsecs, "write"))
		return -E_INVAL;
	if (ide_wait_ready(false, "write") < 0)
		return -E_IO;
	ide_start(secno, nsecs, CMD_WRITE);
	auto *p = static_cast<const char *>(src);
	for (; nsecs > 0; nsecs--, p += SECTSIZE) {
		if (!ide_wait_drq("write"))
			return -E_IO;
		outsl(IDE_DATA, p, SECTSIZE / 4);
	}
	// The drive has the data once it is no longer busy. (QEMU then has
	// written it to the image file; no cache flush is needed for another
	// program to read it there once QEMU has exited.)
	return ide_wait_ready(true, "write") < 0 ? -E_IO : 0;
}
