// Leaving QEMU: graders ask for it (monitor=off) so a finished or panicked
// kernel never makes them wait for a timeout.
#pragma once

// QEMU's isa-debug-exit device (iobase 0xf4) turns a written value v into
// the exit status (v << 1) | 1.
constexpr int kExitPort = 0xF4;
constexpr int kExitPass = 0x10;		// QEMU exits with status 33
constexpr int kExitFail = 0x11;		// QEMU exits with status 35
constexpr int kExitTodo = 0x12;		// 37: stopped at a lab step not yet done

// Exits QEMU with the pass or fail status. Without the device, it says so
// and halts this CPU.
[[noreturn]] void kernel_exit(bool passed);
// Exits QEMU with status 37: the boot reached a student's stub (lab_todo).
[[noreturn]] void kernel_exit_todo();
