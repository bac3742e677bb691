// The console: COM1 serial port, VGA text screen and PS/2 keyboard.
#pragma once

void cons_init();
// Writes one character to every output device. Callers serialize through
// cprintf's lock.
void cons_putc(int c);
// Returns the next input character, or 0 if none is waiting.
int cons_getc();
// True when a VGA text screen was found.
bool cons_has_vga();
