// A thread that cannot go on asks the process to stop, instead of ending it
// with std::terminate: the main thread's signal wait wakes, shuts everything
// down cleanly and exits with the code asked for.
#pragma once

namespace lintas {

// Records `exit_code` (the first non-zero one wins) and sends SIGTERM to this
// process. Thread-safe; async-signal-unsafe.
void RequestShutdown(int exit_code);

// The exit code asked for by RequestShutdown, 0 if none. Thread-safe.
int RequestedExitCode();

}  // namespace lintas
