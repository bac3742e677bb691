// Console serialization for code that prints several pieces as one unit.
#pragma once

#include <inc/x86.h>

// Holds the console lock for a scope, so that a multi-line report (a
// register dump, a panic) is not interleaved with other CPUs' output.
// Nests: an inner cprintf on the same CPU does not take the lock again.
class [[nodiscard]] ConsoleGuard {
public:
	ConsoleGuard();
	~ConsoleGuard();
	ConsoleGuard(const ConsoleGuard &) = delete;
	ConsoleGuard &operator=(const ConsoleGuard &) = delete;

private:
	bool taken_;
};
