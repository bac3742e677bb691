// IPC calls: see kern/ipccall.h.

#include <inc/assert.h>
#include <inc/error.h>
#include <kern/env.h>
#include <kern/ipccall.h>
#include <kern/pmap.h>
#include <kern/sched.h>

namespace {

// Whether e is blocked receiving, and would take a message from sender.
bool
receiving(const Env *e, const Env *sender)
{
	return e->env_ipc_recving && e->env_status == ENV_NOT_RUNNABLE &&
	       !ipc_refuses(e, sender);
}

// Whether srcva (below UTOP) and perm may be sent by env: a mapped, page
// aligned page, permissions a user may give, and PTE_W only on a page env
// may write.
bool
page_ok(Env *env, uint64_t srcva, uint64_t perm)
{
	if (srcva % PGSIZE != 0 || (perm & (PTE_U | PTE_P)) != (PTE_U | PTE_P) ||
	    (perm & ~(PTE_SYSCALL | PTE_NX)) != 0)
		return false;
	pte_t *pte;
	PageInfo *pp = page_lookup(env->env_pgdir, srcva, &pte);
	return pp != nullptr && (!(perm & PTE_W) || (*pte & PTE_W));
}

// Gives to, which is receiving, the message: the value, and the page if
// both sides name one. On an error (the page went, or no memory for the
// mapping) to is left as it was.
int
deliver(Env *from, Env *to, uint32_t value, uint64_t srcva, uint64_t perm)
{
	uint64_t sent_perm = 0;
	if (srcva < UTOP && to->env_ipc_dstva < UTOP) {
		if (!page_ok(from, srcva, perm))
			return -E_INVAL;
		PageInfo *pp = page_lookup(from->env_pgdir, srcva, nullptr);
		int r = page_insert(to->env_pgdir, pp, to->env_ipc_dstva, perm);
		if (r < 0)
			return r;
		sent_perm = perm;
	}
	to->env_ipc_recving = false;
	to->env_ipc_from = from->env_id;
	to->env_ipc_value = value;
	to->env_ipc_perm = sent_perm;
	return 0;
}

// Ends c's call with err (its sys_ipc_call returns it).
void
end_call(Env *c, int err)
{
	c->env_ipc_call_to = 0;
	c->env_ipc_call_next = nullptr;
	if (c->env_status != ENV_NOT_RUNNABLE)
		return;		// being destroyed
	c->env_ipc_recving = false;
	c->env_tf.tf_regs.reg_rax = static_cast<uint64_t>(static_cast<int64_t>(err));
	c->env_status = ENV_RUNNABLE;
	sched_wake_one();
}

} // namespace

bool
ipc_refuses(const Env *target, const Env *sender)
{
	// A call still queued waits for its callee to receive it: nothing
	// can be its answer yet.
	if (target->env_ipc_call_to != 0)
		return true;
	return target->env_ipc_recv_from != 0 && target->env_ipc_recv_from != sender->env_id;
}

int
ipc_call(envid_t envid, uint32_t value, uint64_t srcva, uint64_t perm, uint64_t dstva)
{
	if (dstva < UTOP && dstva % PGSIZE != 0)
		return -E_INVAL;
	Env *e;
	int r = envid2env(envid, &e, false);
	if (r < 0)
		return r;
	if (e == curenv || (srcva < UTOP && !page_ok(curenv, srcva, perm)))
		return -E_INVAL;
	// e waits in this environment's queue for its answer: a call back would
	// leave both waiting for each other, for ever.
	if (e->env_ipc_call_to == curenv->env_id)
		return -E_INVAL;
	assert(curenv->env_ipc_call_to == 0);

	curenv->env_ipc_dstva = dstva;
	if (receiving(e, curenv)) {
		if ((r = deliver(curenv, e, value, srcva, perm)) < 0)
			return r;
		e->env_tf.tf_regs.reg_rax = 0;	// its sys_ipc_recv returns 0
		e->env_status = ENV_RUNNABLE;
		sched_wake_one();
	} else {
		// Wait in e's queue, last.
		curenv->env_ipc_call_to = e->env_id;
		curenv->env_ipc_call_value = value;
		curenv->env_ipc_call_srcva = srcva;
		curenv->env_ipc_call_perm = perm;
		curenv->env_ipc_call_next = nullptr;
		Env **link = &e->env_ipc_callers;
		while (*link)
			link = &(*link)->env_ipc_call_next;
		*link = curenv;
	}
	// Now wait for the answer, from e alone.
	curenv->env_ipc_recv_from = e->env_id;
	curenv->env_ipc_recving = true;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
}

bool
ipc_take_call(uint64_t dstva)
{
	curenv->env_ipc_recv_from = 0;	// a plain receive: from anyone
	while (Env *c = curenv->env_ipc_callers) {
		curenv->env_ipc_callers = c->env_ipc_call_next;
		c->env_ipc_call_next = nullptr;
		c->env_ipc_call_to = 0;
		curenv->env_ipc_dstva = dstva;
		int r = deliver(c, curenv, c->env_ipc_call_value, c->env_ipc_call_srcva,
				c->env_ipc_call_perm);
		if (r < 0) {
			end_call(c, r);		// its page went meanwhile, or no memory
			continue;
		}
		return true;	// c now waits for the answer
	}
	return false;
}

void
ipc_forget(Env *e)
{
	while (Env *c = e->env_ipc_callers) {
		e->env_ipc_callers = c->env_ipc_call_next;
		end_call(c, -E_BAD_ENV);
	}
	if (e->env_ipc_call_to != 0) {
		Env *callee = &envs[ENVX(e->env_ipc_call_to)];
		for (Env **link = &callee->env_ipc_callers; *link; link = &(*link)->env_ipc_call_next)
			if (*link == e) {
				*link = e->env_ipc_call_next;
				break;
			}
		e->env_ipc_call_to = 0;
		e->env_ipc_call_next = nullptr;
	}
	for (int i = 0; i < NENV; i++) {
		Env *c = &envs[i];
		if (c != e && c->env_status == ENV_NOT_RUNNABLE && c->env_ipc_recving &&
		    c->env_ipc_call_to == 0 && c->env_ipc_recv_from == e->env_id)
			end_call(c, -E_BAD_ENV);
	}
	e->env_ipc_recving = false;
	e->env_ipc_recv_from = 0;
}
