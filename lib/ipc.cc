// Inter-environment communication over sys_ipc_try_send and sys_ipc_recv.

#include <inc/lib.h>

namespace {
// An address at or above UTOP tells the kernel "no page".
void *const kNoPage = reinterpret_cast<void *>(UTOP);
} // namespace

int32_t
ipc_recv(envid_t *from_env_store, void *pg, uint64_t *perm_store)
{
	// LAB 4 EXERCISE ipc BEGIN
	// sys_ipc_recv, with kNoPage when pg is null. On success the message is
	// in thisenv (env_ipc_value, env_ipc_from, env_ipc_perm); on an error,
	// store 0 through the pointers given and return the error.
	//> (void)from_env_store, (void)pg, (void)perm_store, (void)kNoPage;
	//> panic("ipc_recv: not implemented (LAB 4 exercise)");
	int r = sys_ipc_recv(pg ? pg : kNoPage);
	if (from_env_store)
		*from_env_store = r < 0 ? 0 : thisenv->env_ipc_from;
	if (perm_store)
		*perm_store = r < 0 ? 0 : thisenv->env_ipc_perm;
	return r < 0 ? r : static_cast<int32_t>(thisenv->env_ipc_value);
	// LAB 4 EXERCISE ipc END
}

void
ipc_send(envid_t to_env, uint32_t val, void *pg, uint64_t perm)
{
	// LAB 4 EXERCISE ipc BEGIN
	// Try until the receiver is receiving (-E_IPC_NOT_RECV: sys_yield and
	// try again); panic on any other error.
	//> (void)to_env, (void)val, (void)pg, (void)perm;
	//> panic("ipc_send: not implemented (LAB 4 exercise)");
	int r;
	while ((r = sys_ipc_try_send(to_env, val, pg ? pg : kNoPage, perm)) == -E_IPC_NOT_RECV)
		sys_yield();
	if (r < 0)
		panic("ipc_send to %08x: %s", to_env, error_string(r));
	// LAB 4 EXERCISE ipc END
}

int
ipc_call(envid_t to_env, uint32_t val, void *pg, uint64_t perm, void *dstpg, int32_t *answer,
	 uint64_t *perm_store)
{
	int r = sys_ipc_call(to_env, val, pg ? pg : kNoPage, perm, dstpg ? dstpg : kNoPage);
	if (perm_store)
		*perm_store = r < 0 ? 0 : thisenv->env_ipc_perm;
	if (r < 0)
		return r;
	*answer = static_cast<int32_t>(thisenv->env_ipc_value);
	return 0;
}

envid_t
ipc_find_env(EnvType type)
{
	for (int i = 0; i < NENV; i++)
		if (envs[i].env_type == type && envs[i].env_status != ENV_FREE)
			return envs[i].env_id;
	return 0;
}
