// redis-streams-bench: XADD of same-size events into one Redis stream from
// many clients, each pipelining a fixed number of commands, timing each
// command from the flush of its pipeline to its reply. With `appendonly yes`
// and `appendfsync always` Redis writes and fsyncs the AOF before it sends
// the replies of an event-loop iteration, so a reply means "on disk".
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "peer_options.h"
#include "../stats.h"

namespace {

using Clock = std::chrono::steady_clock;
using lintas::bench::FlatJson;
using lintas::bench::Latencies;

struct ClientResult {
  uint64_t ok = 0;
  uint64_t errors = 0;
  Latencies ack_ms;
  Clock::time_point last_reply{};
  std::string error;
};

std::string ConfigValue(redisContext* c, const char* key) {
  auto* reply = static_cast<redisReply*>(redisCommand(c, "CONFIG GET %s", key));
  std::string out = "?";
  if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
    out = reply->element[1]->str;
  }
  if (reply != nullptr) freeReplyObject(reply);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lintas::bench;
  PeerOptions o(argc, argv,
                {{"host", "127.0.0.1"}, {"port", "6379"}, {"clients", "8"}, {"pipeline", "64"},
                 {"size", "1024"}, {"duration", "10"}, {"events", "0"},
                 {"stream", "lintas-bench"}, {"json", "false"}});
  const std::string host = o.Str("host");
  const int port = static_cast<int>(o.Num("port"));
  const size_t clients = static_cast<size_t>(o.Num("clients"));
  const size_t pipeline = static_cast<size_t>(o.Num("pipeline"));
  const size_t size = static_cast<size_t>(o.Num("size"));
  const double duration = o.Num("duration");
  const uint64_t events = static_cast<uint64_t>(o.Num("events"));
  const std::string stream = o.Str("stream");

  redisContext* admin = redisConnect(host.c_str(), port);
  if (admin == nullptr || admin->err) {
    std::cerr << "redis-streams-bench: cannot connect to " << host << ":" << port << "\n";
    return 2;
  }
  std::string durability = "appendonly=" + ConfigValue(admin, "appendonly") +
                           " appendfsync=" + ConfigValue(admin, "appendfsync");

  std::vector<ClientResult> results(clients);
  std::atomic<uint64_t> budget{events > 0 ? events : UINT64_MAX};
  std::atomic<bool> start{false};
  const Clock::time_point stop_at_unset = Clock::time_point::max();
  std::atomic<int64_t> stop_at_ns{stop_at_unset.time_since_epoch().count()};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      ClientResult& r = results[t];
      redisContext* c = redisConnect(host.c_str(), port);
      if (c == nullptr || c->err) {
        r.error = "connect failed";
        return;
      }
      std::string payload(size, 'r');
      r.ack_ms.Reserve(1 << 20);
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      while (Clock::now().time_since_epoch().count() < stop_at_ns.load()) {
        // Take up to `pipeline` events from the shared budget.
        uint64_t left = budget.load();
        size_t n = 0;
        while (left > 0) {
          n = static_cast<size_t>(std::min<uint64_t>(left, pipeline));
          if (budget.compare_exchange_weak(left, left - n)) break;
          n = 0;
        }
        if (n == 0) break;
        for (size_t i = 0; i < n; ++i) {
          redisAppendCommand(c, "XADD %s * d %b", stream.c_str(), payload.data(), payload.size());
        }
        Clock::time_point sent = Clock::now();
        for (size_t i = 0; i < n; ++i) {
          void* raw = nullptr;
          if (redisGetReply(c, &raw) != REDIS_OK) {
            r.error = c->errstr;
            redisFree(c);
            return;
          }
          auto* reply = static_cast<redisReply*>(raw);
          Clock::time_point now = Clock::now();
          if (reply->type == REDIS_REPLY_ERROR) {
            ++r.errors;
          } else {
            ++r.ok;
            r.ack_ms.Add(std::chrono::duration<double, std::milli>(now - sent).count());
          }
          r.last_reply = now;
          freeReplyObject(reply);
        }
      }
      redisFree(c);
    });
  }
  Clock::time_point begin = Clock::now();
  if (events == 0) {
    stop_at_ns.store((begin + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(duration)))
                         .time_since_epoch()
                         .count());
  }
  start.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();

  uint64_t ok = 0, errors = 0;
  Latencies all;
  Clock::time_point last = begin;
  std::string error;
  for (auto& r : results) {
    ok += r.ok;
    errors += r.errors;
    all.Merge(r.ack_ms);
    last = std::max(last, r.last_reply);
    if (!r.error.empty()) error = r.error;
  }
  double seconds = std::chrono::duration<double>(last - begin).count();
  double rate = seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  auto* len = static_cast<redisReply*>(redisCommand(admin, "XLEN %s", stream.c_str()));
  long long stored = len != nullptr && len->type == REDIS_REPLY_INTEGER ? len->integer : -1;
  if (len != nullptr) freeReplyObject(len);
  redisFree(admin);

  FlatJson j;
  j.String("system", "redis-streams");
  j.String("durability", durability);
  j.Integer("clients", clients);
  j.Integer("pipeline", pipeline);
  j.Integer("event_bytes", size);
  j.Integer("published_events", ok);
  j.Integer("refused_events", errors);
  j.Number("stream_length", static_cast<double>(stored));
  j.Number("publish_seconds", seconds);
  j.Number("durable_events_per_s", rate);
  j.Number("durable_mb_per_s", rate * static_cast<double>(size) / 1e6);
  j.Number("ack_p50_ms", all.Percentile(0.50));
  j.Number("ack_p99_ms", all.Percentile(0.99));
  j.Number("ack_p999_ms", all.Percentile(0.999));
  j.Number("ack_max_ms", all.Max());
  j.String("error", error);
  if (o.Flag("json")) {
    std::cout << j.Render();
  } else {
    std::printf("redis-streams-bench: %zu clients x pipeline %zu, %zu B, %s\n", clients, pipeline,
                size, durability.c_str());
    std::printf("events/s %.0f  MB/s %.1f  ack p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  (%llu in %.2f s, stream length %lld)\n",
                rate, rate * static_cast<double>(size) / 1e6, all.Percentile(0.5),
                all.Percentile(0.99), all.Percentile(0.999),
                static_cast<unsigned long long>(ok), seconds, stored);
  }
  return error.empty() && errors == 0 ? 0 : 1;
}
