// User environments.
#pragma once

#include <inc/env.h>
#include <kern/cpu.h>

extern Env *envs;		// all environments
#define curenv (thiscpu->cpu_env)	// the current environment of this CPU

// User programs linked into the kernel image (kern/Makefrag builds the table).
struct UserProgram {
	const char *name;
	const uint8_t *image;
	uint64_t size;
	uint64_t flags;		// PROG_*
};
// UserProgram flags (user/mkprogs.sh writes them).
enum : uint64_t {
	PROG_FS_SERVER = 1,	// the file-system server: runs as ENV_TYPE_FS
	PROG_FS_CLIENT = 2,	// uses the file system: fs=auto starts the server for it
	PROG_NS_SERVER = 4,	// the network server (lab 6): runs as ENV_TYPE_NS
	PROG_NS_CLIENT = 8,	// uses the network: ns=auto starts the server for it
};
extern "C" const UserProgram user_programs[];	// ends with a null name

void env_init();
int env_alloc(Env **newenv_store, envid_t parent_id);
void env_free(Env *e);
// Creates an environment running the named built-in program; prints why
// and returns nullptr if there is no such program, no free Env, or its
// image does not check out. The file-system server (PROG_FS_SERVER) runs
// as ENV_TYPE_FS.
Env *env_create(const char *name);
// Gives e, created and not yet run, the arguments argv[0 .. argc) (at most
// 8, in half its stack page); false if they do not fit.
bool env_set_args(Env *e, int argc, const char *const *argv);
// The built-in program of that name, or nullptr.
const UserProgram *user_program(const char *name);
void env_destroy(Env *e);
// Notes why e is about to end (printf-style), for the line env_free prints
// when the file-system server ends; other environments' ends say why in
// their own lines.
void env_note_end(Env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// The CPU running e (its curenv), or nullptr. Caller holds the big kernel lock.
Cpu *env_cpu(const Env *e);
int envid2env(envid_t envid, Env **env_store, bool checkperm);
[[noreturn]] void env_run(Env *e);
extern "C" [[noreturn]] void env_pop_tf(Trapframe *tf);

// The names of the built-in programs, for messages ("hello, yield, ...").
void user_program_names(char *buf, size_t size);
