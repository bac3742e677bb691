// The network server's environments (JOS lab 6's net/ns.h): the core
// (net/serv.cc, over lwIP), and the three it forks: the timer, which tells
// the core when lwIP's timers are due; input, which takes frames from the
// card and hands them to the core; and output, which sends the core's
// frames. testoutput and testinput run input and output without a core.
#pragma once

#include <inc/lib.h>

// How often the timer environment wakes the core at most, in milliseconds
// (lwIP's TCP timer runs every 250 ms).
constexpr uint32_t kTimerIntervalMs = 250;

// net/timer.cc: sends the core NSREQ_TIMER after initial_ms, then after
// each interval the core answers with.
[[noreturn]] void timer(envid_t ns_envid, uint32_t initial_ms);
// net/input.cc: receives frames from the card and sends each to ns_envid
// as NSREQ_INPUT, in a page of its own.
[[noreturn]] void input(envid_t ns_envid);
// net/output.cc: sends each NSREQ_OUTPUT page from ns_envid to the card.
[[noreturn]] void output(envid_t ns_envid);
