// Console serialization for code that prints several pieces as one unit.
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
