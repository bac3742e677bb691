// Kernel error codes: functions return 0 or a negative E_* value.
#pragma once

enum {
	E_UNSPECIFIED = 1,	// Unspecified or unknown problem
	E_BAD_ENV,		// Environment doesn't exist or otherwise cannot be used
	E_INVAL,		// Invalid parameter
	E_NO_MEM,		// Request failed due to memory shortage
	E_NO_FREE_ENV,		// Attempt to create a new environment beyond the maximum allowed
	E_FAULT,		// Memory fault
	E_IPC_NOT_RECV,		// Attempt to send to env that is not recving
	E_EOF,			// Unexpected end of file

	// File system error codes (JOS lab 5)
	E_NO_DISK,		// No free space left on disk
	E_MAX_OPEN,		// Too many files are open
	E_NOT_FOUND,		// File or block not found
	E_BAD_PATH,		// Bad path
	E_FILE_EXISTS,		// File already exists
	E_NOT_EXEC,		// File not a valid executable
	E_NOT_SUPP,		// Operation not supported
	E_CORRUPT,		// The file system on the disk is damaged
	E_NO_FS,		// No file-system server is running
	E_IO,			// The disk did not do what it was asked
	E_NO_DRIVE,		// There is no disk
	E_IS_DIR,		// A directory, where a file is needed (opened for writing, say)
	E_NOT_DIR,		// Not a directory, where a path needs one ("/motd/")
	E_FILE_TOO_BIG,		// A write past the largest size a file can have
	E_ARGS_TOO_BIG,		// spawn's arguments do not fit the child's stack

	// Network error codes (JOS lab 6)
	E_NO_NIC,		// No network card
	E_TX_FULL,		// The transmit ring is full: try again
	E_RX_EMPTY,		// No packet has arrived
	E_NO_NS,		// No network server is running
	E_CONN,			// Connection refused, reset or aborted
	E_ADDR_IN_USE,		// Address already in use
	E_TIMEOUT,		// The network did not answer in time

	MAXERROR
};

// A short description of an E_* code (negative or positive), for messages.
const char *error_string(int err);
