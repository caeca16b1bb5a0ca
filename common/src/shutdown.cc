// See shutdown.h.
#include "lintas/common/shutdown.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace lintas {
namespace {
std::atomic<int> g_exit_code{0};
}  // namespace

void RequestShutdown(int exit_code) {
  int expected = 0;
  g_exit_code.compare_exchange_strong(expected, exit_code);
  kill(getpid(), SIGTERM);
}

int RequestedExitCode() { return g_exit_code.load(); }

}  // namespace lintas
