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
	MAXERROR
};

// A short description of an E_* code (negative or positive), for messages.
const char *error_string(int err);
