// Starting a cpp-httplib server's accept loop so that it can always be
// stopped. Header-only: only the targets that link httplib include it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace lintas {

// Runs `server.listen_after_bind()` (the port is bound already) on a new
// thread, and returns that thread once the server accepts connections or
// its accept loop has ended. cpp-httplib 0.11's `stop()` does nothing until
// the accept loop has marked the server running: a stop that came before
// (a node stopped right after it started) was lost, and joining the thread
// then waited for ever. `server` must outlive the thread; the caller stops
// it with `server.stop()` and joins.
inline std::thread ListenInBackground(httplib::Server& server) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  std::thread accept_loop([&server, ended] {
    server.listen_after_bind();
    ended->store(true);
  });
  // The loop marks itself running before its first accept(): microseconds.
  while (!server.is_running() && !ended->load()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return accept_loop;
}

}  // namespace lintas
