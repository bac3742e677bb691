// Console devices: the COM1 serial port always; the VGA text screen or the
// loader's framebuffer, whichever the loader says there is. Input from the
// serial port and the keyboard goes into one ring buffer: by interrupt
// (through the I/O APIC, lab 5) and by polling whenever someone asks for a
// character (the kernel monitor runs with interrupts off).

#include <inc/memlayout.h>
#include <inc/stdio.h>
#include <inc/string.h>
#include <inc/x86.h>
#include <kern/bootinfo.h>
#include <kern/console.h>
#include <inc/atomic.h>
#include <inc/trap.h>
#include <kern/cpu.h>
#include <kern/font.h>
#include <kern/ioapic.h>
#include <kern/pmap.h>
#include <kern/spinlock.h>

namespace {

// ---- Serial port (COM1, 16550 UART) ----
constexpr uint16_t COM1 = 0x3F8;
constexpr uint16_t COM_RX = 0, COM_TX = 0, COM_DLL = 0, COM_DLM = 1, COM_IER = 1,
		   COM_IIR = 2, COM_FCR = 2, COM_LCR = 3, COM_MCR = 4, COM_LSR = 5;
constexpr uint8_t COM_LCR_DLAB = 0x80, COM_LCR_WLEN8 = 0x03, COM_LSR_DATA = 0x01,
		  COM_LSR_TXRDY = 0x20, COM_IER_RDI = 0x01, COM_MCR_OUT2 = 0x08;

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

// ---- Early output ----
// What is printed before the loader's word on the screen is known (the
// banner, the boot information) goes to serial at once and is kept here,
// to be drawn when the screen is set up.
char early[8192];
size_t early_len;
bool early_overflowed;

// ---- The line in progress ----
// What was printed since the last newline, kept so that a notice can go
// between two lines (cons_aside_begin) and the line be printed again after
// it, whole. A line longer than the copy is ended, not printed again.
struct Line {
	char text[256];
	size_t len;		// printed since the newline; may exceed the copy
};
Line line, aside_saved;
int aside_depth;

// ---- VGA text screen (only where the loader said text mode is on) ----
constexpr uint16_t CRT_PORT = 0x3D4;

volatile uint16_t *crt_buf;
int crt_cols, crt_rows, crt_pos;

bool
cga_init(physaddr_t pa, int cols, int rows)
{
	auto *buf = static_cast<volatile uint16_t *>(const_cast<void *>(phys_map(pa, cols * rows * 2)));
	if (buf == nullptr)
		return false;
	uint16_t was = buf[0];
	buf[0] = 0xA55A;
	if (buf[0] != 0xA55A)
		return false;		// no memory there after all
	buf[0] = was;
	crt_buf = buf;
	crt_cols = cols;
	crt_rows = rows;
	outb(CRT_PORT, 14);
	crt_pos = inb(CRT_PORT + 1) << 8;
	outb(CRT_PORT, 15);
	crt_pos |= inb(CRT_PORT + 1);
	if (crt_pos >= cols * rows)
		crt_pos = 0;
	return true;
}

void
cga_putc(int c)
{
	if (crt_buf == nullptr)
		return;
	int size = crt_cols * crt_rows;
	uint16_t cell = static_cast<uint16_t>(c & 0xFF) | 0x0700;
	switch (c & 0xFF) {
	case '\b':
		if (crt_pos > 0)
			crt_buf[--crt_pos] = ' ' | 0x0700;
		break;
	case '\n':
		crt_pos += crt_cols;
		[[fallthrough]];
	case '\r':
		crt_pos -= crt_pos % crt_cols;
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
	if (crt_pos >= size) {
		for (int i = 0; i < size - crt_cols; i++)
			crt_buf[i] = crt_buf[i + crt_cols];
		for (int i = size - crt_cols; i < size; i++)
			crt_buf[i] = ' ' | 0x0700;
		crt_pos -= crt_cols;
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

// ---- Framebuffer console (a linear RGB framebuffer, as UEFI gives) ----
// The text lives in a grid of characters; cons_flush draws the cells that
// changed since the last one, so scrolling costs a redraw of what differs,
// not a copy of the whole screen.
constexpr int kCellWidth = kFontWidth + 1, kCellHeight = kFontHeight + 2;
constexpr int kMaxCols = 256, kMaxRows = 128;

struct FbConsole {
	uint8_t *base;
	uint32_t pitch, bytes_pp;
	uint32_t fg, bg;		// pixel values
	int scale;			// each font pixel is scale x scale
	int cols, rows;
	int pos;			// the cursor, as a cell index
	int drawn_cursor;		// where the cursor was drawn; -1: nowhere
	uint8_t text[kMaxRows * kMaxCols];
	uint8_t shown[kMaxRows * kMaxCols];	// what the screen shows
} fbc;

uint32_t
fb_color(const Framebuffer &fb, uint8_t r, uint8_t g, uint8_t b)
{
	auto field = [](uint8_t v, uint8_t pos, uint8_t size) -> uint32_t {
		if (size == 0 || size > 8 || pos + size > 32)
			return 0;
		return static_cast<uint32_t>(v >> (8 - size)) << pos;
	};
	return field(r, fb.red_pos, fb.red_size) | field(g, fb.green_pos, fb.green_size) |
	       field(b, fb.blue_pos, fb.blue_size);
}

void
fb_fill(int x, int y, int w, int h, uint32_t color)
{
	for (int row = y; row < y + h; row++) {
		uint8_t *p = fbc.base + static_cast<size_t>(row) * fbc.pitch + x * fbc.bytes_pp;
		if (fbc.bytes_pp == 4) {
			auto *q = reinterpret_cast<volatile uint32_t *>(p);
			for (int i = 0; i < w; i++)
				q[i] = color;
		} else {
			for (int i = 0; i < w; i++)
				for (uint32_t b = 0; b < fbc.bytes_pp; b++)
					reinterpret_cast<volatile uint8_t *>(p)[i * fbc.bytes_pp + b] =
						static_cast<uint8_t>(color >> (8 * b));
		}
	}
}

void
fb_draw_cell(int cell, bool cursor)
{
	int s = fbc.scale;
	int x0 = (cell % fbc.cols) * kCellWidth * s, y0 = (cell / fbc.cols) * kCellHeight * s;
	fb_fill(x0, y0, kCellWidth * s, kCellHeight * s, fbc.bg);
	const uint8_t *glyph = font_glyph(fbc.text[cell]);
	for (int row = 0; row < kFontHeight; row++)
		for (int col = 0; col < kFontWidth; col++)
			if (glyph[row] & (1 << (kFontWidth - 1 - col)))
				fb_fill(x0 + col * s, y0 + row * s, s, s, fbc.fg);
	if (cursor)		// an underline, in the gap below the glyph
		fb_fill(x0, y0 + kFontHeight * s, kFontWidth * s, s, fbc.fg);
	fbc.shown[cell] = fbc.text[cell];
}

bool
fb_init(const Framebuffer &fb)
{
	if (fb.bpp != 16 && fb.bpp != 24 && fb.bpp != 32)
		return false;
	size_t size = static_cast<size_t>(fb.pitch) * fb.height;
	auto *base = static_cast<uint8_t *>(const_cast<void *>(phys_map(fb.addr, size)));
	if (base == nullptr || fb.width < kCellWidth * 40 || fb.pitch < fb.width * (fb.bpp / 8))
		return false;
	fbc.base = base;
	fbc.pitch = fb.pitch;
	fbc.bytes_pp = fb.bpp / 8;
	fbc.fg = fb_color(fb, 0xAA, 0xAA, 0xAA);	// VGA's light grey on black
	fbc.bg = fb_color(fb, 0, 0, 0);
	// The largest scale that still gives 80x25, or more, characters.
	fbc.scale = 1;
	while (fb.width / (kCellWidth * (fbc.scale + 1)) >= 80 &&
	       fb.height / (kCellHeight * (fbc.scale + 1)) >= 25)
		fbc.scale++;
	while (fb.width / (kCellWidth * fbc.scale) > kMaxCols ||
	       fb.height / (kCellHeight * fbc.scale) > kMaxRows)
		fbc.scale++;
	fbc.cols = fb.width / (kCellWidth * fbc.scale);
	fbc.rows = fb.height / (kCellHeight * fbc.scale);
	fbc.pos = 0;
	fbc.drawn_cursor = -1;
	memset(fbc.text, ' ', sizeof(fbc.text));
	fb_fill(0, 0, fb.width, fb.height, fbc.bg);	// whatever GRUB left
	memset(fbc.shown, ' ', sizeof(fbc.shown));	// now blank everywhere
	return true;
}

void
fb_putc(int c)
{
	if (fbc.base == nullptr)
		return;
	int size = fbc.cols * fbc.rows;
	switch (c & 0xFF) {
	case '\b':
		if (fbc.pos > 0)
			fbc.text[--fbc.pos] = ' ';
		break;
	case '\n':
		fbc.pos += fbc.cols;
		[[fallthrough]];
	case '\r':
		fbc.pos -= fbc.pos % fbc.cols;
		break;
	case '\t':
		do
			fb_putc(' ');
		while (fbc.pos % 8);
		break;
	default:
		fbc.text[fbc.pos++] = static_cast<uint8_t>(c);
		break;
	}
	if (fbc.pos >= size) {
		memmove(fbc.text, fbc.text + fbc.cols, size - fbc.cols);
		memset(fbc.text + size - fbc.cols, ' ', fbc.cols);
		fbc.pos -= fbc.cols;
	}
}

void
fb_flush()
{
	if (fbc.base == nullptr)
		return;
	int size = fbc.cols * fbc.rows;
	for (int i = 0; i < size; i++)
		if (fbc.shown[i] != fbc.text[i] && i != fbc.pos)
			fb_draw_cell(i, false);
	if (fbc.drawn_cursor != fbc.pos && fbc.drawn_cursor >= 0 && fbc.drawn_cursor < size)
		fb_draw_cell(fbc.drawn_cursor, false);
	if (fbc.pos < size && (fbc.drawn_cursor != fbc.pos || fbc.shown[fbc.pos] != fbc.text[fbc.pos])) {
		fb_draw_cell(fbc.pos, true);
		fbc.drawn_cursor = fbc.pos;
	}
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
// Filled by the interrupt handlers (on the boot CPU, perhaps while it
// waits for some lock) and by whoever asks for a character. Everyone only
// tries the lock: whoever holds it polls both devices anyway, and a CPU
// must not wait for a lock inside an interrupt that came while it was
// already waiting for one.
constexpr int CONSBUFSIZE = 512;
struct {
	uint8_t buf[CONSBUFSIZE];
	uint32_t rpos, wpos;
} cons;
Spinlock cons_in_lock("console input");
Atomic<bool> input_arrived;
bool interrupts_on;	// set once, by the boot CPU, before any environment runs

// Moves what the device has into the ring; never over characters not yet
// read (a full ring would then look empty). The UART's input waits in the
// device while the ring is full (its FIFO, and QEMU behind it, hold back
// what is typed or piped in), and is taken as the ring empties, since every
// cons_getc polls first. The keyboard's is read anyway, and its characters
// dropped: kbd_getc must see every scan code, releases of Shift and Ctrl
// too, and the controller's own queue is small.
void
cons_poll(int (*proc)())
{
	bool holds_back = proc == serial_getc;
	int c;
	for (;;) {
		bool full = (cons.wpos + 1) % CONSBUFSIZE == cons.rpos;
		if ((full && holds_back) || (c = proc()) == -1)
			return;
		if (c == 0 || full)
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
}

void
cons_init_display(const BootInfo &bi)
{
	// Text mode only where the loader said so: GRUB's framebuffer tag of
	// type EGA text; for QEMU -kernel (PVH, which says nothing about the
	// screen), the video mode the BIOS recorded in its data area (0x449).
	const char *why = "";
	char what[96] = "";
	if (bi.protocol == BootProtocol::Pvh) {
		auto *mode = static_cast<const volatile uint8_t *>(phys_map(0x449, 1));
		if (mode && (*mode == 2 || *mode == 3) && cga_init(0xB8000, 80, 25))
			snprintf(what, sizeof(what), "VGA text, 80x25 (BIOS video mode %u)", *mode);
		else
			why = "the BIOS set no colour text mode (its video mode byte is not 2 or 3), and QEMU -kernel gives no framebuffer";
	} else if (!bi.has_fb) {
		why = "the loader reported neither text mode nor a framebuffer";
	} else if (bi.fb.type == FbType::EgaText) {
		if (cga_init(bi.fb.addr, bi.fb.width, bi.fb.height))
			snprintf(what, sizeof(what), "VGA text, %ux%u", bi.fb.width, bi.fb.height);
		else
			why = "the loader's text-mode screen is not readable";
	} else if (bi.fb.type == FbType::Rgb) {
		if (fb_init(bi.fb))
			snprintf(what, sizeof(what), "framebuffer %ux%u, %u bits at %#lx: %dx%d characters",
				 bi.fb.width, bi.fb.height, bi.fb.bpp, bi.fb.addr, fbc.cols, fbc.rows);
		else
			why = "the loader's framebuffer has a size or depth this console cannot draw";
	} else {
		why = "the loader's framebuffer is palette-indexed, which this console cannot draw";
	}

	if (what[0] != '\0') {
		// What was printed so far, drawn now.
		for (size_t i = 0; i < early_len; i++) {
			cga_putc(early[i]);
			fb_putc(early[i]);
		}
		cons_flush();
		cprintf("console: serial and %s%s\n", what,
			early_overflowed ? " (the first lines of the boot are on serial only)" : "");
	} else {
		cprintf("console: serial only: %s\n", why);
	}
	early_len = sizeof(early);	// no more keeping
}

uint64_t
cons_framebuffer(uint64_t *len)
{
	if (fbc.base == nullptr)
		return 0;
	*len = static_cast<uint64_t>(fbc.pitch) * boot_info.fb.height;
	return boot_info.fb.addr;
}

void
cons_putc(int c)
{
	if (serial_exists)
		serial_putc(c);
	if (early_len < sizeof(early)) {
		early[early_len++] = static_cast<char>(c);
		early_overflowed |= early_len == sizeof(early);
	}
	cga_putc(c);
	fb_putc(c);
	if (c == '\n') {
		line.len = 0;
	} else {
		if (line.len < sizeof(line.text))
			line.text[line.len] = static_cast<char>(c);
		line.len++;
	}
}

void
cons_fresh_line()
{
	if (line.len > 0)
		cons_putc('\n');
}

void
cons_aside_begin()
{
	if (aside_depth++ == 0)
		aside_saved = line;
	cons_fresh_line();
}

void
cons_aside_end()
{
	cons_fresh_line();
	if (--aside_depth == 0 && aside_saved.len <= sizeof(aside_saved.text))
		for (size_t i = 0; i < aside_saved.len; i++)
			cons_putc(aside_saved.text[i]);
	cons_flush();
}

void
cons_flush()
{
	cga_update_cursor();
	fb_flush();
}

int
cons_getc()
{
	if (!cons_in_lock.try_lock())
		return 0;	// someone is polling now: no input for us yet
	if (serial_exists)
		cons_poll(serial_getc);
	cons_poll(kbd_getc);
	int c = 0;
	if (cons.rpos != cons.wpos) {
		c = cons.buf[cons.rpos++];
		if (cons.rpos == CONSBUFSIZE)
			cons.rpos = 0;
	}
	cons_in_lock.unlock();
	return c;
}

namespace {

// An interrupt handler's work: move input into the ring. If the lock is
// busy, its holder is polling and takes the input with it.
void
cons_intr(int (*proc)())
{
	if (cons_in_lock.try_lock()) {
		cons_poll(proc);
		cons_in_lock.unlock();
	}
	input_arrived.store(true, MemoryOrder::release);
}

// Turns on the keyboard controller's interrupt (bit 0 of its command
// byte) and its translation of the keyboard's scan codes to set 1 (bit 6),
// which kbd_getc decodes: firmware may have left either off (qboot does
// not set up the keyboard at all). Waits are bounded: a missing or wedged
// controller leaves the keyboard polled.
bool
kbd_enable_interrupt()
{
	auto wait_input_empty = [] {
		for (int i = 0; i < 100000; i++)
			if (!(inb(KBSTATP) & 0x02))
				return true;
		return false;
	};
	auto wait_output_full = [] {
		for (int i = 0; i < 100000; i++)
			if (inb(KBSTATP) & KBS_DIB)
				return true;
		return false;
	};
	if (inb(KBSTATP) == 0xFF)
		return false;		// no controller
	for (int i = 0; i < 64 && (inb(KBSTATP) & KBS_DIB); i++)
		(void)inb(KBDATAP);	// a key pressed before: not the command byte
	if (!wait_input_empty())
		return false;
	outb(KBSTATP, 0x20);		// read the command byte
	if (!wait_output_full())
		return false;
	uint8_t cmd = inb(KBDATAP);
	if (!wait_input_empty())
		return false;
	outb(KBSTATP, 0x60);		// write the command byte
	if (!wait_input_empty())
		return false;
	outb(KBDATAP, cmd | 0x01 | 0x40);
	return true;
}

} // namespace

void
kbd_intr()
{
	cons_intr(kbd_getc);
}

void
serial_intr()
{
	if (serial_exists)
		cons_intr(serial_getc);
}

bool
cons_input_arrived()
{
	// Every trap asks: a plain load first keeps the line shared.
	return input_arrived.load(MemoryOrder::relaxed) &&
	       input_arrived.exchange(false, MemoryOrder::acq_rel);
}

bool
cons_interrupts_on()
{
	return interrupts_on;
}

void
cons_enable_interrupts()
{
	bool kbd = kbd_enable_interrupt();
	if (serial_exists) {
		outb(COM1 + COM_IER, COM_IER_RDI);
		outb(COM1 + COM_MCR, COM_MCR_OUT2);	// a PC's UART drives its IRQ only with OUT2
		(void)inb(COM1 + COM_IIR);
	}
	// Whatever is already waiting would hold the (edge-triggered) lines
	// high, so that no edge, and no interrupt, ever came for it: take it now.
	if (cons_in_lock.try_lock()) {
		if (serial_exists)
			cons_poll(serial_getc);
		cons_poll(kbd_getc);
		cons_in_lock.unlock();
	}
	uint32_t to = bootcpu->apic_id;
	bool serial_routed = serial_exists && ioapic_route_isa(IRQ_SERIAL, IRQ_OFFSET + IRQ_SERIAL, to);
	bool kbd_routed = kbd && ioapic_route_isa(IRQ_KBD, IRQ_OFFSET + IRQ_KBD, to);
	interrupts_on = serial_routed || kbd_routed;
	cprintf("console: input by interrupt from %s%s%s to CPU 0 (APIC ID %u); polled otherwise\n",
		serial_routed ? "COM1" : "", serial_routed && kbd_routed ? " and " : "",
		kbd_routed ? "the keyboard" : (serial_routed ? "" : "no device"), to);
}
