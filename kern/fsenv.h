// Starting the file-system server (JOS lab 5).
#pragma once

// Before the run= programs (so that the server is environment 00001000, as
// in JOS): starts the built-in program "fs" as ENV_TYPE_FS if fs=on, or if
// fs=auto, a disk is attached and a run= program uses the file system.
// Prints why not where someone would expect it to start.
void fs_env_start();
