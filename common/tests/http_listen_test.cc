// ListenInBackground: a server stopped as soon as it started stops.
#include "lintas/common/http_listen.h"

#include <gtest/gtest.h>

namespace lintas {
namespace {

// A node or adapter stopped right after its start (a test's restart, a
// failed start-up) used to hang in join(): cpp-httplib 0.11 drops a stop()
// that comes before the accept loop runs. Many rounds make that window
// likely to be hit if it were open again.
TEST(ListenInBackgroundTest, AServerStoppedAsSoonAsItStartedStops) {
  for (int round = 0; round < 200; ++round) {
    httplib::Server server;
    int port = server.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread accept_loop = ListenInBackground(server);
    EXPECT_TRUE(server.is_running()) << "round " << round;
    server.stop();
    accept_loop.join();
    EXPECT_FALSE(server.is_running()) << "round " << round;
  }
}

TEST(ListenInBackgroundTest, TheServerAnswersOnceItReturns) {
  httplib::Server server;
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pong", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread accept_loop = ListenInBackground(server);
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/ping");
  server.stop();
  accept_loop.join();  // before any assertion that returns: a joinable thread must not be destroyed
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "pong");
}

}  // namespace
}  // namespace lintas
