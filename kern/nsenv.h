// Starting the network server (JOS lab 6).
#pragma once

// After the file-system server and before the run= programs (so that it is
// environment 00001001 when the file-system server runs, as in JOS):
// starts the built-in program "ns" as ENV_TYPE_NS when a network card was
// attached and a run= program uses the network (unless run= names "ns"
// itself). Prints why not where someone would expect it to start.
void ns_env_start();
