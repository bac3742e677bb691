// Console serialization for code that prints several pieces as one unit,
// and for notices that must not break a line in progress.
#pragma once

#include <inc/x86.h>

// Holds the console lock for a scope, so that a multi-line report (a
// register dump, a panic) is not interleaved with other CPUs' output.
// Nests: an inner cprintf on the same CPU does not take the lock again.
class [[nodiscard]] ConsoleGuard {
public:
	enum Mode { Wait, TryOnly };
	// TryOnly: for code that must never wait (an NMI handler): if another
	// CPU holds the console, ok() is false and nothing may be printed.
	explicit ConsoleGuard(Mode mode = Wait);
	~ConsoleGuard();
	ConsoleGuard(const ConsoleGuard &) = delete;
	ConsoleGuard &operator=(const ConsoleGuard &) = delete;
	bool ok() const { return ok_; }

private:
	bool taken_;
	bool ok_;
};

// cprintf for a notice (a stub's warning) that may come while another
// line is half printed: it goes on lines of its own, and the line in
// progress is printed again after it, whole (cons_aside_begin). fmt should
// end with a newline. Any CPU, any context cprintf may be called from.
int cprintf_aside(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
