// jetstream-bench: asynchronous JetStream publishes of same-size events into
// one file-storage stream from several connections, each with at most
// --max-pending unacknowledged, timing each message from its publish call to
// its PubAck. What a PubAck means depends on the server: nats-server 2.9 acks
// once the message is in its file store's buffers and fsyncs in the
// background (docs/PERFORMANCE.md).
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
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

int64_t Nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Written by the connection's ack-handler thread, read after it is closed.
struct ClientState {
  std::mutex mu;
  uint64_t ok = 0;      // Guarded by mu.
  uint64_t errors = 0;  // Guarded by mu.
  Latencies ack_ms;     // Guarded by mu.
  int64_t last_ack_ns = 0;
  std::string error;
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* state = static_cast<ClientState*>(closure);
  int64_t now = Nanos();
  int64_t sent = 0;
  if (natsMsg_GetDataLength(msg) >= static_cast<int>(sizeof sent)) {
    std::memcpy(&sent, natsMsg_GetData(msg), sizeof sent);
  }
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (pa != nullptr) {
      ++state->ok;
      state->ack_ms.Add(static_cast<double>(now - sent) / 1e6);
    } else {
      ++state->errors;
      if (pae != nullptr && state->error.empty()) state->error = natsStatus_GetText(pae->Err);
    }
    state->last_ack_ns = now;
  }
  natsMsg_Destroy(msg);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lintas::bench;
  PeerOptions o(argc, argv,
                {{"url", "nats://127.0.0.1:4222"}, {"clients", "4"}, {"max-pending", "4096"},
                 {"size", "1024"}, {"duration", "10"}, {"events", "0"},
                 {"stream", "LINTASBENCH"}, {"json", "false"}});
  const std::string url = o.Str("url");
  const size_t clients = static_cast<size_t>(o.Num("clients"));
  const int64_t max_pending = static_cast<int64_t>(o.Num("max-pending"));
  const size_t size = std::max<size_t>(static_cast<size_t>(o.Num("size")), 8);
  const double duration = o.Num("duration");
  const uint64_t events = static_cast<uint64_t>(o.Num("events"));
  const std::string stream = o.Str("stream");
  const std::string subject = "bench.events";

  natsConnection* admin = nullptr;
  jsCtx* admin_js = nullptr;
  if (natsConnection_ConnectTo(&admin, url.c_str()) != NATS_OK ||
      natsConnection_JetStream(&admin_js, admin, nullptr) != NATS_OK) {
    std::cerr << "jetstream-bench: cannot connect to " << url << "\n";
    return 2;
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  const char* subjects[] = {"bench.>"};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = 1;
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_AddStream(&info, admin_js, &config, nullptr, &jerr) != NATS_OK) {
    std::cerr << "jetstream-bench: cannot create stream " << stream << " (" << nats_GetLastError(nullptr)
              << ")\n";
    return 2;
  }
  jsStreamInfo_Destroy(info);

  std::vector<ClientState> states(clients);
  std::atomic<uint64_t> budget{events > 0 ? events : UINT64_MAX};
  std::atomic<bool> start{false};
  std::atomic<int64_t> stop_at{INT64_MAX};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      ClientState& state = states[t];
      natsConnection* nc = nullptr;
      jsCtx* js = nullptr;
      jsOptions options;
      jsOptions_Init(&options);
      options.PublishAsync.MaxPending = max_pending;
      options.PublishAsync.AckHandler = OnAck;
      options.PublishAsync.AckHandlerClosure = &state;
      options.PublishAsync.StallWait = 10000;
      if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK ||
          natsConnection_JetStream(&js, nc, &options) != NATS_OK) {
        state.error = "connect failed";
        return;
      }
      state.ack_ms.Reserve(1 << 20);
      std::string payload(size, 'j');
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      while (Nanos() < stop_at.load()) {
        uint64_t left = budget.load();
        if (left == 0 || !budget.compare_exchange_weak(left, left - 1)) {
          if (left == 0) break;
          continue;
        }
        int64_t now = Nanos();
        std::memcpy(payload.data(), &now, sizeof now);
        natsMsg* msg = nullptr;
        if (natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                           static_cast<int>(payload.size())) != NATS_OK) {
          state.error = "natsMsg_Create failed";
          break;
        }
        natsStatus s = js_PublishMsgAsync(js, &msg, nullptr);
        if (s != NATS_OK) {
          natsMsg_Destroy(msg);
          std::lock_guard<std::mutex> lock(state.mu);
          state.error = natsStatus_GetText(s);
          break;
        }
      }
      jsPubOptions wait;
      jsPubOptions_Init(&wait);
      wait.MaxWait = 30000;
      (void)js_PublishAsyncComplete(js, &wait);
      jsCtx_Destroy(js);
      natsConnection_Destroy(nc);
    });
  }
  int64_t begin = Nanos();
  if (events == 0) stop_at.store(begin + static_cast<int64_t>(duration * 1e9));
  start.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();

  uint64_t ok = 0, errors = 0;
  Latencies all;
  int64_t last = begin;
  std::string error;
  for (auto& s : states) {
    std::lock_guard<std::mutex> lock(s.mu);
    ok += s.ok;
    errors += s.errors;
    all.Merge(s.ack_ms);
    last = std::max(last, s.last_ack_ns);
    if (!s.error.empty()) error = s.error;
  }
  double seconds = static_cast<double>(last - begin) / 1e9;
  double rate = seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  uint64_t stored = 0;
  if (js_GetStreamInfo(&info, admin_js, stream.c_str(), nullptr, &jerr) == NATS_OK) {
    stored = info->State.Msgs;
    jsStreamInfo_Destroy(info);
  }
  jsCtx_Destroy(admin_js);
  natsConnection_Destroy(admin);
  nats_Close();

  FlatJson j;
  j.String("system", "nats-jetstream");
  j.String("durability", "file storage, R1, no fsync per message (server default)");
  j.Integer("clients", clients);
  j.Integer("max_pending", static_cast<uint64_t>(max_pending));
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
    std::printf("jetstream-bench: %zu clients x max pending %lld, %zu B, file storage\n", clients,
                static_cast<long long>(max_pending), size);
    std::printf("events/s %.0f  MB/s %.1f  ack p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  (%llu in %.2f s, stream %llu)\n",
                rate, rate * static_cast<double>(size) / 1e6, all.Percentile(0.5),
                all.Percentile(0.99), all.Percentile(0.999),
                static_cast<unsigned long long>(ok), seconds, static_cast<unsigned long long>(stored));
  }
  return error.empty() && errors == 0 ? 0 : 1;
}
