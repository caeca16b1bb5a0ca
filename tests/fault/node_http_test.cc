// The node's HTTP API under slow, oversized, malformed and numerous clients:
// a real in-process node (no broker: the API does not need one) on an
// ephemeral loopback port, raw sockets and cpp-httplib clients. Every
// refusal is JSON, and /v1/health keeps answering.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lintas/common/clock.h"
#include "lintas/node/node.h"
#include "lintas/wire/event_id.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kOfficer = "officer-kh-0007";
constexpr const char* kPassword = "correct horse battery";
// Slow clients, and how many answered requests the load test wants.
constexpr int kSlowClients = 8;
constexpr int kLoadThreads = 200;
constexpr int kRequestsPerThread = 5;

// A TCP connection to 127.0.0.1:port; closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Whatever the server sent (or closed with) within `timeout`: the bytes
  // read until the server paused after writing, or until it closed.
  std::string ReceiveSome(std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      int wait = out.empty() ? static_cast<int>(std::max<int64_t>(left.count(), 0)) : 200;
      if (::poll(&p, 1, wait) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // True if the server has not answered nor closed: nothing to read now.
  bool Silent() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

 private:
  int fd_;
};

// The status code of a raw HTTP answer, or 0.
int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

// The body of a raw HTTP answer (after the blank line), parsed as JSON.
json BodyOf(const std::string& answer) {
  size_t at = answer.find("\r\n\r\n");
  if (at == std::string::npos) return json();
  return json::parse(answer.substr(at + 4), nullptr, false);
}

class NodeHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node::NodeConfig c;
    c.id = "kh-node";
    c.country = "KHM";
    c.default_agency = "kh-mosvy";
    c.agencies = {c.default_agency};
    c.data_dir = dir_.Sub("kh-node");
    c.api_port = 0;
    // No broker listens there: the API serves without one.
    c.broker_endpoint = "ipc://" + dir_.Sub("no-broker.sock");
    c.retry_initial_ms = 20;
    c.retry_max_ms = 200;
    c.log_level = "error";
    c.security = "plaintext";
    node_ = std::make_unique<node::Node>(c);
    int64_t now = NowMicros();
    node::User officer;
    officer.id = kOfficer;
    officer.agency = "kh-mosvy";
    officer.roles = {"officer", "supervisor"};  // supervisors manage subscriptions
    ASSERT_TRUE(node_->accounts().AddUser(officer, kPassword, now).ok());
    auto token = node_->accounts().IssueApiToken(kOfficer, "node_http_test", 0, now);
    ASSERT_TRUE(token.ok());
    token_ = token->token;
    port_ = node_->Start();
    ASSERT_GT(port_, 0);
  }

  std::unique_ptr<httplib::Client> Client(bool authenticated = true) {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_connection_timeout(5, 0);
    client->set_read_timeout(10, 0);
    client->set_write_timeout(10, 0);
    if (authenticated) client->set_bearer_token_auth(token_);
    return client;
  }

  testutil::TempDir dir_;
  std::unique_ptr<node::Node> node_;
  std::string token_;
  int port_ = 0;
};

// A JSON error body as every refusal carries: {"error": {"code", ...}}.
::testing::AssertionResult IsJsonError(const std::string& body, const std::string& code) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return ::testing::AssertionFailure() << "not a JSON error body: " << body.substr(0, 200);
  }
  if (j["error"].value("code", "") != code) {
    return ::testing::AssertionFailure() << "code is not " << code << ": " << body.substr(0, 200);
  }
  if (!j["error"].contains("message") || !j["error"]["message"].is_string()) {
    return ::testing::AssertionFailure() << "no message: " << body.substr(0, 200);
  }
  return ::testing::AssertionSuccess();
}

TEST_F(NodeHttpTest, EightClientsTricklingHeadersDoNotMakeHealthUnanswerable) {
  // Each slow client sends a request's headers one byte per second, and
  // never finishes them while the test runs.
  const std::string request =
      "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(256, 's') + "\r\n\r\n";
  std::mutex mu;
  std::condition_variable stop_cv;
  bool stop = false;
  std::atomic<int> sending{0};   // clients that have sent at least 2 bytes
  std::atomic<int> failed{0};    // clients whose connection broke or was answered
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlowClients; ++i) {
    slow.emplace_back([&] {
      RawConnection conn(port_);
      if (!conn.connected()) {
        ++failed;
        return;
      }
      std::unique_lock lock(mu);
      for (size_t sent = 0; sent < request.size(); ++sent) {
        if (!conn.Send(request.substr(sent, 1)) || !conn.Silent()) {
          ++failed;
          return;
        }
        if (sent == 1) ++sending;
        // The pace of the slow client: one byte a second, until told to stop.
        if (stop_cv.wait_for(lock, 1s, [&] { return stop; })) return;
      }
    });
  }
  auto stop_slow = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    stop_cv.notify_all();
    for (auto& t : slow) t.join();
  };

  auto deadline = Clock::now() + 10s;
  while (sending.load() + failed.load() < kSlowClients && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polling with a deadline
  }
  ASSERT_EQ(sending.load(), kSlowClients) << "the slow clients did not all get going";

  // Health answers within 2 s while all eight are mid-request.
  auto asked = Clock::now();
  int status = 0;
  std::string body;
  deadline = asked + 2s;
  while (status != 200 && Clock::now() < deadline) {
    auto client = Client(false);
    client->set_connection_timeout(3, 0);
    client->set_read_timeout(3, 0);
    auto r = client->Get("/v1/health");
    if (r) {
      status = r->status;
      body = r->body;
    }
  }
  EXPECT_EQ(status, 200) << "health did not answer within the client's 3 s while the slow clients trickled";
  EXPECT_EQ(json::parse(body, nullptr, false).value("status", ""), "ok") << body;
  EXPECT_EQ(failed.load(), 0) << "a slow client was cut off or answered: it was not trickling throughout";
  stop_slow();
}

TEST_F(NodeHttpTest, ATenMegabyteBodyGets413WithAJsonErrorBody) {
  std::string big(10 * 1024 * 1024, 'x');
  auto r = Client()->Post("/v1/events", big, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(IsJsonError(r->body, "message_too_large"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  // The same without a token: the size is refused before anything else.
  auto anonymous = Client(false)->Post("/v1/login", big, "application/json");
  ASSERT_TRUE(anonymous) << httplib::to_string(anonymous.error());
  EXPECT_EQ(anonymous->status, 413);
  EXPECT_TRUE(IsJsonError(anonymous->body, "message_too_large"));
}

TEST_F(NodeHttpTest, AChunkedBodyIsRefusedWith411BeforeItIsRead) {
  // Without a Content-Length the 1 MiB cap cannot be checked up front, and
  // the server must not buffer a body of unknown size. This client sends
  // 2 MiB of chunks and then waits: the answer must come without the rest.
  RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send("POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  for (int i = 0; i < 32; ++i) {
    if (!conn.Send(chunk)) break;  // the server answered and the buffers filled: fine
  }
  auto asked = Clock::now();
  std::string answer = conn.ReceiveSome(3s);
  EXPECT_LT(Clock::now() - asked, 3s) << "no answer while the body was left unfinished";
  EXPECT_EQ(StatusOf(answer), 411) << answer.substr(0, 300);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer.substr(0, 300);
  size_t at = answer.find("\r\n\r\n");
  ASSERT_NE(at, std::string::npos) << answer.substr(0, 300);
  // The first answer's body only (a client that goes on sending gets more).
  json body = json::parse(answer.substr(at + 4, answer.find("HTTP/1.1", at) - at - 4), nullptr, false);
  EXPECT_TRUE(IsJsonError(body.dump(), "length_required")) << answer.substr(0, 300);
}

TEST_F(NodeHttpTest, APostWithoutContentLengthIsAnsweredAtOnceNotAfterTheReadTimeout) {
  // Neither Content-Length nor Transfer-Encoding: without the refusal the
  // server would wait for the client to close (or 5 s) to find the body's end.
  RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send("POST /v1/logout HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto asked = Clock::now();
  std::string answer = conn.ReceiveSome(3s);
  EXPECT_LT(Clock::now() - asked, 4s);  // answered, not left to the 5 s read timeout
  EXPECT_EQ(StatusOf(answer), 411) << answer.substr(0, 300);
  EXPECT_TRUE(IsJsonError(BodyOf(answer).dump(), "length_required")) << answer.substr(0, 300);
  // A DELETE without a body needs no Content-Length.
  auto del = Client()->Delete("/v1/subscriptions/none-such");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 404) << del->body;
}

TEST_F(NodeHttpTest, ASecondNodeCannotTakeTheApiPortOfARunningOne) {
  // With SO_REUSEPORT (the library's default) both would bind, and the
  // kernel would share the connections between two countries' nodes.
  node::NodeConfig c = node_->config();
  c.id = "th-node";
  c.country = "THA";
  c.default_agency = "th-rtp-atpd";
  c.agencies = {c.default_agency};
  c.data_dir = dir_.Sub("th-node");
  c.api_port = static_cast<uint16_t>(port_);
  node::Node second(c);
  EXPECT_THROW(second.Start(), std::runtime_error);
  auto health = Client(false)->Get("/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body, nullptr, false).value("node", ""), "kh-node");
}

TEST_F(NodeHttpTest, ABadEventIdAnUnknownRouteAndAnUnknownItemGet404WithJson) {
  auto client = Client();
  auto bad_id = client->Get("/v1/events/not-a-uuid");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 404);
  EXPECT_TRUE(IsJsonError(bad_id->body, "not_found"));

  auto no_route = client->Get("/v1/no-such-route");
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 404);
  EXPECT_TRUE(IsJsonError(no_route->body, "not_found"));
  auto no_route_post = Client(false)->Post("/v2/events", "{}", "application/json");
  ASSERT_TRUE(no_route_post);
  EXPECT_EQ(no_route_post->status, 404);
  EXPECT_TRUE(IsJsonError(no_route_post->body, "not_found"));

  wire::EventIdGenerator ids;
  std::string unknown = ids.Next().ToString();
  auto no_item = client->Post("/v1/items/" + unknown + "/acknowledge", "{}", "application/json");
  ASSERT_TRUE(no_item);
  EXPECT_EQ(no_item->status, 404) << no_item->body;
  EXPECT_TRUE(IsJsonError(no_item->body, "not_found"));
  auto no_event = client->Post("/v1/events/" + unknown + "/acknowledge", "{}", "application/json");
  ASSERT_TRUE(no_event);
  EXPECT_EQ(no_event->status, 404) << no_event->body;
  EXPECT_TRUE(IsJsonError(no_event->body, "not_found"));
  auto no_event_get = client->Get("/v1/events/" + unknown);
  ASSERT_TRUE(no_event_get);
  EXPECT_EQ(no_event_get->status, 404) << no_event_get->body;
  EXPECT_TRUE(IsJsonError(no_event_get->body, "not_found"));
}

TEST_F(NodeHttpTest, AThousandConcurrentRequestsAreAllAnswered) {
  // 200 connections opened at once, five requests each (each on a fresh
  // connection: the client closes after every answer), alternating the
  // unauthenticated health and an authenticated case list.
  std::latch go(kLoadThreads);
  std::atomic<int> ok{0};
  std::mutex mu;
  std::map<std::string, int> failures;  // what went wrong, how often
  std::vector<std::thread> threads;
  for (int t = 0; t < kLoadThreads; ++t) {
    threads.emplace_back([&, t] {
      go.arrive_and_wait();
      for (int i = 0; i < kRequestsPerThread; ++i) {
        auto client = Client();
        bool cases = (t + i) % 2 == 1;
        auto r = client->Get(cases ? "/v1/cases" : "/v1/health");
        std::string what;
        if (!r) {
          what = "no answer: " + httplib::to_string(r.error());
        } else if (r->status != 200) {
          what = "status " + std::to_string(r->status);
        } else if (json::parse(r->body, nullptr, false).is_discarded()) {
          what = "not JSON";
        }
        if (what.empty()) {
          ++ok;
        } else {
          std::lock_guard lock(mu);
          ++failures[what];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kLoadThreads * kRequestsPerThread);
  for (const auto& [what, n] : failures) ADD_FAILURE() << n << " x " << what;
}

TEST_F(NodeHttpTest, ARequestWithoutATokenGets401WithJsonAndWwwAuthenticate) {
  auto anonymous = Client(false);
  auto r = anonymous->Get("/v1/cases");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(IsJsonError(r->body, "unauthenticated"));
  EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u)
      << r->get_header_value("WWW-Authenticate");

  auto post = anonymous->Post("/v1/events", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 401);
  EXPECT_TRUE(IsJsonError(post->body, "unauthenticated"));
  EXPECT_TRUE(post->has_header("WWW-Authenticate"));

  // A token that is not one: 401 too, saying why in the header.
  httplib::Client forged("127.0.0.1", port_);
  forged.set_bearer_token_auth("lnt_not-a-real-token");
  auto bad = forged.Get("/v1/cases");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_TRUE(IsJsonError(bad->body, "unauthenticated"));
  EXPECT_NE(bad->get_header_value("WWW-Authenticate").find("invalid_token"), std::string::npos);
}

// The console's session: a cookie out of the page's reach, and a CSRF token
// that every state change by cookie must carry (docs/API.md).
struct CookieSession {
  std::string cookie;  // "lintas_session=..."
  std::string csrf;
};

CookieSession CookieLogin(httplib::Client& anonymous, std::string* set_cookie = nullptr) {
  json body{{"user", kOfficer}, {"password", kPassword}, {"session", "cookie"}};
  auto r = anonymous.Post("/v1/login", body.dump(), "application/json");
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, 200) << r->body;
  std::string header = r->get_header_value("Set-Cookie");
  if (set_cookie) *set_cookie = header;
  json reply = json::parse(r->body, nullptr, false);
  return {header.substr(0, header.find(';')), reply.value("csrf_token", "")};
}

TEST_F(NodeHttpTest, ACookieLoginSetsAnHttpOnlyStrictCookieAndReturnsACsrfTokenNotTheToken) {
  auto anonymous = Client(false);
  std::string set_cookie;
  CookieSession s = CookieLogin(*anonymous, &set_cookie);
  EXPECT_EQ(set_cookie.rfind("lintas_session=lnt_", 0), 0u) << set_cookie;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_EQ(s.csrf.size(), 64u);

  // The default (a token for scripts and the CLI) sets no cookie and has no CSRF token.
  auto token = anonymous->Post("/v1/login", json{{"user", kOfficer}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 200);
  EXPECT_FALSE(token->has_header("Set-Cookie"));
  json t = json::parse(token->body);
  EXPECT_EQ(t.value("token", "").rfind("lnt_", 0), 0u);
  EXPECT_FALSE(t.contains("csrf_token"));

  auto bogus = anonymous->Post("/v1/login", json{{"user", kOfficer}, {"password", kPassword}, {"session", "both"}}.dump(),
                               "application/json");
  ASSERT_TRUE(bogus);
  EXPECT_EQ(bogus->status, 400);
  EXPECT_TRUE(IsJsonError(bogus->body, "bad_input"));
  EXPECT_EQ(json::parse(bogus->body)["error"].value("field", ""), "session");

  // /v1/me gives the page its CSRF token again (after a reload).
  auto me = anonymous->Get("/v1/me", httplib::Headers{{"Cookie", s.cookie}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(json::parse(me->body).value("csrf_token", ""), s.csrf);
}

TEST_F(NodeHttpTest, AStateChangeByCookieNeedsTheCsrfTokenAndTheSameOrigin) {
  auto anonymous = Client(false);
  CookieSession s = CookieLogin(*anonymous);
  std::string body = json{{"language", "km"}}.dump();
  std::string host = "127.0.0.1:" + std::to_string(port_);
  auto put = [&](httplib::Headers headers) {
    headers.emplace("Cookie", s.cookie);
    auto r = anonymous->Put("/v1/me/language", headers, body, "application/json");
    EXPECT_TRUE(r);
    return r;
  };
  auto field_of = [](const httplib::Result& r) { return json::parse(r->body)["error"].value("field", ""); };

  auto none = put({});
  EXPECT_EQ(none->status, 403);
  EXPECT_TRUE(IsJsonError(none->body, "forbidden"));
  EXPECT_EQ(field_of(none), "X-CSRF-Token");
  auto wrong = put({{"X-CSRF-Token", std::string(64, '0')}});
  EXPECT_EQ(wrong->status, 403);
  EXPECT_EQ(field_of(wrong), "X-CSRF-Token");
  auto elsewhere = put({{"X-CSRF-Token", s.csrf}, {"Origin", "http://evil.example"}});
  EXPECT_EQ(elsewhere->status, 403);
  EXPECT_EQ(field_of(elsewhere), "Origin");
  // Nothing changed so far.
  auto me = anonymous->Get("/v1/me", httplib::Headers{{"Cookie", s.cookie}});
  EXPECT_NE(json::parse(me->body).value("language", ""), "km") << me->body;

  auto right = put({{"X-CSRF-Token", s.csrf}, {"Origin", "http://" + host}});
  EXPECT_EQ(right->status, 200) << right->body;
  // A bearer token is never sent by a browser on its own: no CSRF token needed.
  auto bearer = Client()->Put("/v1/me/language", json{{"language", "en"}}.dump(), "application/json");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200) << bearer->body;
}

TEST_F(NodeHttpTest, TheConsoleIsServedWithItsSecurityHeadersAndRevalidated) {
  auto anonymous = Client(false);
  auto index = anonymous->Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_NE(index->body.find("/console/js/main.js"), std::string::npos);
  EXPECT_NE(index->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index->get_header_value("X-Frame-Options"), "DENY");
  std::string etag = index->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = anonymous->Get("/", httplib::Headers{{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);

  auto script = anonymous->Get("/console/js/main.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_NE(script->get_header_value("Content-Type").find("javascript"), std::string::npos);
  auto catalogue = anonymous->Get("/console/i18n/km.json");
  ASSERT_TRUE(catalogue);
  EXPECT_EQ(catalogue->status, 200);
  EXPECT_FALSE(json::parse(catalogue->body, nullptr, false).is_discarded());
  for (const char* path : {"/console/../CMakeLists.txt", "/console/js/missing.js", "/console/"}) {
    auto r = anonymous->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  // Case data is never cached.
  auto cases = Client()->Get("/v1/cases");
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->get_header_value("Cache-Control"), "no-store");
}

TEST_F(NodeHttpTest, AWaitingChangesCallReturnsWhenTheCaseModelChanges) {
  auto first = Client()->Get("/v1/changes");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  uint64_t seq = json::parse(first->body).value("seq", uint64_t{0});
  std::atomic<uint64_t> seen{seq};
  std::thread waiter([&] {
    auto r = Client()->Get("/v1/changes?since=" + std::to_string(seq) + "&wait=20");
    if (r && r->status == 200) seen = json::parse(r->body).value("seq", uint64_t{0});
  });
  // A referral changes the case model (it is queued: no broker listens).
  json referral{{"to", "THA/police"}, {"case_id", "KH-CHANGES-1"}, {"victim", {{"pseudonym", "V-KH-C1"}}},
                {"consent", {"identity"}}, {"summary", "test"}};
  auto sent = Client()->Post("/v1/referrals", referral.dump(), "application/json");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, 202) << sent->body;
  waiter.join();
  EXPECT_NE(seen.load(), seq);
}

// A self-signed certificate for 127.0.0.1 (PEM files), made for the test.
void WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* c = fopen(cert_path.c_str(), "w");
  FILE* k = fopen(key_path.c_str(), "w");
  ASSERT_TRUE(c && k);
  PEM_write_X509(c, cert);
  PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(c);
  fclose(k);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST(NodeHttpsTest, TheApiAndTheConsoleServeHttpsWithTheConfiguredCertificateAndTheCookieIsSecure) {
  testutil::TempDir dir;
  node::NodeConfig c;
  c.id = "kh-node";
  c.country = "KHM";
  c.default_agency = "kh-mosvy";
  c.agencies = {c.default_agency};
  c.data_dir = dir.Sub("kh-node");
  c.api_port = 0;
  c.broker_endpoint = "ipc://" + dir.Sub("no-broker.sock");
  c.log_level = "error";
  c.security = "plaintext";
  c.api_tls_cert = dir.Sub("api.crt");
  c.api_tls_key = dir.Sub("api.key");
  WriteSelfSignedCertificate(c.api_tls_cert, c.api_tls_key);
  node::Node n(c);
  node::User officer;
  officer.id = kOfficer;
  officer.agency = "kh-mosvy";
  officer.roles = {"officer"};
  ASSERT_TRUE(n.accounts().AddUser(officer, kPassword, NowMicros()).ok());
  int port = n.Start();
  ASSERT_GT(port, 0);

  httplib::SSLClient tls("127.0.0.1", port);
  tls.set_ca_cert_path(c.api_tls_cert.c_str());
  tls.enable_server_certificate_verification(true);
  auto health = tls.Get("/v1/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto index = tls.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  auto login = tls.Post("/v1/login", json{{"user", kOfficer}, {"password", kPassword}, {"session", "cookie"}}.dump(),
                        "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200) << login->body;
  EXPECT_NE(login->get_header_value("Set-Cookie").find("; Secure"), std::string::npos)
      << login->get_header_value("Set-Cookie");

  // Plain HTTP on the same port gets no answer it could mistake for the API's.
  httplib::Client plain("127.0.0.1", port);
  plain.set_connection_timeout(2, 0);
  plain.set_read_timeout(2, 0);
  auto refused = plain.Get("/v1/health");
  EXPECT_TRUE(!refused || refused->status != 200);
  n.Stop();
}

}  // namespace
}  // namespace lintas
