// Console devices. Input is polled (the kernel runs with interrupts off) from
// the serial port and the keyboard into one ring buffer.

#include <inc/memlayout.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/console.h>
#include <kern/pmap.h>

namespace {

// ---- Serial port (COM1, 16550 UART) ----
constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t COM_RX = 0, COM_TX = 0, COM_DLL = 0, COM_DLM = 1, COM_IER = 1,
		   COM_FCR = 2, COM_LCR = 3, COM_MCR = 4, COM_LSR = 5;
constexpr uint8_t COM_LCR_DLAB = 0x80, COM_LCR_WLEN8 = 0x03, COM_LSR_DATA = 0x01,
		  COM_LSR_TXRDY = 0x20;

bool serial_exists;
int serial_room;	// bytes the transmit FIFO takes before we must look again

void
serial_init()
{
	outb(COM1 + COM_FCR, 0);		// FIFO off while configuring
	outb(COM1 + COM_LCR, COM_LCR_DLAB);	// 115200 baud: divisor 1
	outb(COM1 + COM_DLL, 1);
	outb(COM1 + COM_DLM, 0);
	outb(COM1 + COM_LCR, COM_LCR_WLEN8);	// 8 data bits, 1 stop bit, no parity
	outb(COM1 + COM_MCR, 0);
	outb(COM1 + COM_IER, 0);		// polled, no interrupts
	outb(COM1 + COM_FCR, 0x07);		// FIFO on, both cleared
	// A missing port reads back 0xFF.
	serial_exists = inb(COM1 + COM_LSR) != 0xFF;
	serial_room = 0;
}

void
serial_putc(int c)
{
	// TXRDY means the 16-byte FIFO is empty: after seeing it, 16 bytes go
	// out without asking again (each port access costs a VM exit). The
	// wait is bounded: a wedged UART drops characters, it does not hang
	// the kernel.
	if (serial_room == 0) {
		for (int i = 0; !(inb(COM1 + COM_LSR) & COM_LSR_TXRDY) && i < 12800; i++)
			cpu_relax();
		serial_room = 16;
	}
	outb(COM1 + COM_TX, static_cast<uint8_t>(c));
	serial_room--;
}

int
serial_getc()
{
	if (!(inb(COM1 + COM_LSR) & COM_LSR_DATA))
		return -1;
	return inb(COM1 + COM_RX);
}

// ---- VGA text screen ----
constexpr int CRT_ROWS = 25, CRT_COLS = 80, CRT_SIZE = CRT_ROWS * CRT_COLS;
constexpr uint16_t CRT_PORT = 0x3D4;
constexpr physaddr_t CGA_BUF = 0xB8000;

volatile uint16_t *crt_buf;
int crt_pos;

void
cga_init()
{
	crt_buf = static_cast<volatile uint16_t *>(KADDR(CGA_BUF));
	uint16_t was = crt_buf[0];
	crt_buf[0] = 0xA55A;
	if (crt_buf[0] != 0xA55A) {
		crt_buf = nullptr;	// no VGA memory: serial only
		return;
	}
	crt_buf[0] = was;
	outb(CRT_PORT, 14);
	crt_pos = inb(CRT_PORT + 1) << 8;
	outb(CRT_PORT, 15);
	crt_pos |= inb(CRT_PORT + 1);
	if (crt_pos >= CRT_SIZE)
		crt_pos = 0;
}

void
cga_putc(int c)
{
	if (crt_buf == nullptr)
		return;
	uint16_t cell = static_cast<uint16_t>(c & 0xFF) | 0x0700;
	switch (c & 0xFF) {
	case '\b':
		if (crt_pos > 0)
			crt_buf[--crt_pos] = ' ' | 0x0700;
		break;
	case '\n':
		crt_pos += CRT_COLS;
		[[fallthrough]];
	case '\r':
		crt_pos -= crt_pos % CRT_COLS;
		break;
	case '\t':
		do
			cga_putc(' ');
		while (crt_pos % 8);
		break;
	default:
		crt_buf[crt_pos++] = cell;
		break;
	}
	if (crt_pos >= CRT_SIZE) {
		for (int i = 0; i < CRT_SIZE - CRT_COLS; i++)
			crt_buf[i] = crt_buf[i + CRT_COLS];
		for (int i = CRT_SIZE - CRT_COLS; i < CRT_SIZE; i++)
			crt_buf[i] = ' ' | 0x0700;
		crt_pos -= CRT_COLS;
	}
}

// Moves the hardware cursor; once per cons_flush, not per character.
void
cga_update_cursor()
{
	if (crt_buf == nullptr)
		return;
	outb(CRT_PORT, 14);
	outb(CRT_PORT + 1, static_cast<uint8_t>(crt_pos >> 8));
	outb(CRT_PORT, 15);
	outb(CRT_PORT + 1, static_cast<uint8_t>(crt_pos));
}

// ---- PS/2 keyboard (scan code set 1) ----
constexpr uint16_t KBSTATP = 0x64, KBDATAP = 0x60;
constexpr uint8_t KBS_DIB = 0x01;
enum : uint8_t { SHIFT = 1, CTL = 2, ALT = 4, CAPSLOCK = 8, E0ESC = 64 };

constexpr uint8_t shiftcode(uint8_t sc)
{
	switch (sc) {
	case 0x1D: return CTL;
	case 0x2A: case 0x36: return SHIFT;
	case 0x38: return ALT;
	default: return 0;
	}
}

// Unshifted and shifted characters for scan codes 0x00..0x39.
constexpr char normalmap[] =
	"\0\x1b" "1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
constexpr char shiftmap[] =
	"\0\x1b" "!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
static_assert(sizeof(normalmap) == sizeof(shiftmap));

uint8_t kbd_shift;

int
kbd_getc()
{
	if (!(inb(KBSTATP) & KBS_DIB))
		return -1;
	uint8_t data = inb(KBDATAP);
	if (data == 0xE0) {
		kbd_shift |= E0ESC;
		return 0;
	}
	if (data & 0x80) {	// key release
		kbd_shift &= ~shiftcode(data & 0x7F);
		kbd_shift &= ~E0ESC;
		return 0;
	}
	if (kbd_shift & E0ESC) {	// keypad Enter is the only E0 key we map
		kbd_shift &= ~E0ESC;
		return data == 0x1C ? '\n' : 0;
	}
	kbd_shift |= shiftcode(data);
	if (data == 0x3A) {
		kbd_shift ^= CAPSLOCK;
		return 0;
	}
	if (data >= sizeof(normalmap) - 1)
		return 0;
	int c = (kbd_shift & SHIFT) ? shiftmap[data] : normalmap[data];
	if ((kbd_shift & CAPSLOCK) && c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	else if ((kbd_shift & CAPSLOCK) && c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if ((kbd_shift & CTL) && c >= 'a' && c <= 'z')
		c -= 'a' - 1;
	return c;
}

// ---- Input ring ----
constexpr int CONSBUFSIZE = 512;
struct {
	uint8_t buf[CONSBUFSIZE];
	uint32_t rpos, wpos;
} cons;

void
cons_poll(int (*proc)())
{
	int c;
	while ((c = proc()) != -1) {
		if (c == 0)
			continue;
		cons.buf[cons.wpos++] = static_cast<uint8_t>(c);
		if (cons.wpos == CONSBUFSIZE)
			cons.wpos = 0;
	}
}

} // namespace

void
cons_init()
{
	serial_init();
	cga_init();
}

bool
cons_has_vga()
{
	return crt_buf != nullptr;
}

void
cons_putc(int c)
{
	if (serial_exists)
		serial_putc(c);
	cga_putc(c);
}

void
cons_flush()
{
	cga_update_cursor();
}

int
cons_getc()
{
	if (serial_exists)
		cons_poll(serial_getc);
	cons_poll(kbd_getc);
	if (cons.rpos != cons.wpos) {
		int c = cons.buf[cons.rpos++];
		if (cons.rpos == CONSBUFSIZE)
			cons.rpos = 0;
		return c;
	}
	return 0;
}
