// The console: COM1 serial port, VGA text screen and PS/2 keyboard.
#pragma once

void cons_init();
// Writes one character to every output device. Callers serialize through
// cprintf's lock, and call cons_flush when a piece of output is complete.
void cons_putc(int c);
void cons_flush();
// Returns the next input character, or 0 if none is waiting.
int cons_getc();
// True when a VGA text screen was found.
bool cons_has_vga();
