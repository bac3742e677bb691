// The console: COM1 serial port, VGA text screen or framebuffer, PS/2 keyboard.
#pragma once

struct BootInfo;

// The serial port, first thing; the screen once the boot information says
// what there is (everything printed before is drawn then).
void cons_init();
void cons_init_display(const BootInfo &bi);
// The framebuffer the console draws into: its physical address and, in
// *len, its size; 0 when it draws into none (mem_init maps it).
uint64_t cons_framebuffer(uint64_t *len);
// Writes one character to every output device. Callers serialize through
// cprintf's lock, and call cons_flush when a piece of output is complete.
void cons_putc(int c);
void cons_flush();
// A notice printed in the middle of someone else's line (a stub's warning,
// from an interrupt) would break that line for whoever reads it, a student
// or a grader: between cons_aside_begin and cons_aside_end, output goes on
// lines of its own, and the line in progress is printed again after them,
// whole. Asides nest (only the outermost prints the line again). Callers
// hold cprintf's lock; cprintf_aside (kern/printf.h) does it all.
void cons_aside_begin();
void cons_aside_end();
// Ends the line in progress, if any: for output that takes over the
// console and never gives the line back (a stub that stops the boot).
void cons_fresh_line();
// Returns the next input character, or 0 if none is waiting.
int cons_getc();

// Lab 5: console input by interrupt. Routes the keyboard's and COM1's
// interrupts (IRQ_KBD, IRQ_SERIAL) to the boot CPU through the I/O APIC and
// turns them on in both devices; any input already waiting is drained into
// the input buffer first. Boot CPU, after ioapic_init.
void cons_enable_interrupts();
// The interrupt handlers: move what the device holds into the input
// buffer. Any context; they never wait for a lock.
void kbd_intr();
void serial_intr();
// True (once) if an interrupt brought input since the last call.
bool cons_input_arrived();
// Whether serial or keyboard input arrives by interrupt (the I/O APIC
// could route one of them): if not, whoever waits for input must poll.
bool cons_interrupts_on();
