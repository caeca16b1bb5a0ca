// One phase of the load generator.
#include "load_phase.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "event_template.h"

namespace lintas::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

constexpr size_t kMaxSubscribers = 64;

void SumPublishers(Clock::time_point begin, PublishPhase* publish) {
  Clock::time_point last = begin;
  size_t destinations =
      publish->publishers.empty() ? 0 : publish->publishers[0].acked_per_destination.size();
  publish->acked_per_destination.assign(destinations, 0);
  for (auto& r : publish->publishers) {
    publish->cpu_seconds += r.cpu_seconds;
    if (!r.connected) {
      publish->error = "a publisher could not connect: " + r.error;
      continue;
    }
    publish->acked += r.acked;
    publish->refused += r.refused;
    publish->overloaded += r.overloaded;
    publish->unanswered += r.sent - r.acked - r.refused;
    publish->max_lag_ms = std::max(publish->max_lag_ms, r.max_lag_ms);
    publish->ack_ms.Merge(r.ack_ms);
    last = std::max(last, r.last_answer);
    for (size_t d = 0; d < destinations; ++d)
      publish->acked_per_destination[d] += r.acked_per_destination[d];
  }
  publish->seconds = Seconds(last - begin);
}

void SumSubscribers(Clock::time_point begin, const std::vector<SubscriberResult>& results,
                    DeliveryPhase* delivery) {
  Clock::time_point last_record = begin;
  for (const auto& r : results) {
    delivery->cpu_seconds += r.cpu_seconds;
    if (!r.connected) {
      delivery->error = "a subscriber could not subscribe: " + r.error;
      delivery->per_subscriber_rate.push_back(0);
      continue;
    }
    delivery->received += r.received;
    delivery->delivery_ms.Merge(r.delivery_ms);
    double seconds = r.received > 0 ? Seconds(r.last_record - begin) : 0;
    delivery->per_subscriber_rate.push_back(seconds > 0 ? static_cast<double>(r.received) / seconds
                                                        : 0);
    if (r.received > 0) last_record = std::max(last_record, r.last_record);
  }
  delivery->seconds = Seconds(last_record - begin);
}

}  // namespace

double DeliveryPhase::MinSubscriberRate() const {
  if (per_subscriber_rate.empty()) return 0;
  return *std::min_element(per_subscriber_rate.begin(), per_subscriber_rate.end());
}

double DeliveryPhase::MeanSubscriberRate() const {
  if (per_subscriber_rate.empty()) return 0;
  double sum = 0;
  for (double r : per_subscriber_rate) sum += r;
  return sum / static_cast<double>(per_subscriber_rate.size());
}

node::ClientOptions ClientFor(const BenchNode& n, const std::string& endpoint,
                              const std::string& broker_key) {
  node::ClientOptions o;
  o.endpoint = endpoint;
  o.node_id = n.id;
  o.country = n.country;
  o.software = "lintas-bench/0.1.0";
  if (!broker_key.empty()) {
    o.broker_public_key = broker_key;
    o.public_key = n.public_key;
    o.secret_key = n.secret_key;
  }
  o.connect_timeout = 10s;
  return o;
}

void RunPhase(zmq::context_t& ctx, const std::vector<PublisherOptions>& pubs,
              const std::vector<SubscriberOptions>& subs, PublishPhase* publish,
              DeliveryPhase* delivery, double duration_s, Expect expect) {
  std::atomic<uint64_t> expected_per_sub[kMaxSubscribers];
  for (auto& e : expected_per_sub) e.store(UINT64_MAX);
  std::atomic<int64_t> sub_deadline{INT64_MAX};
  std::atomic<size_t> subs_ready{0};
  std::vector<SubscriberResult> sub_results(subs.size());
  std::vector<std::thread> sub_threads;
  for (size_t i = 0; i < subs.size() && i < kMaxSubscribers; ++i) {
    sub_threads.emplace_back([&, i] {
      sub_results[i] = RunSubscriber(ctx, subs[i], expected_per_sub[i], sub_deadline, subs_ready);
    });
  }
  auto wait_until = Clock::now() + 20s;
  while (subs_ready.load() < sub_threads.size() && Clock::now() < wait_until)
    std::this_thread::sleep_for(1ms);

  std::atomic<size_t> connected{0};
  std::atomic<bool> start{false};
  publish->publishers.assign(pubs.size(), PublisherResult{});
  std::vector<PublisherOptions> run = pubs;
  std::vector<std::thread> pub_threads;
  for (size_t i = 0; i < pubs.size(); ++i) {
    pub_threads.emplace_back(
        [&, i] { publish->publishers[i] = RunPublisher(ctx, run[i], connected, start); });
  }
  while (connected.load() < pubs.size() && Clock::now() < wait_until)
    std::this_thread::sleep_for(1ms);
  // Connected and idle: now the clock starts, for everyone at once.
  Clock::time_point begin = Clock::now();
  if (duration_s > 0) {
    for (auto& p : run) {
      p.stop_at = begin + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(duration_s));
    }
  }
  start.store(true, std::memory_order_release);
  for (auto& t : pub_threads) t.join();
  SumPublishers(begin, publish);

  // The subscribers now know what to wait for: what was acknowledged for them.
  sub_deadline.store(SteadyNanos() + 30'000'000'000LL);
  const auto& per_destination = publish->acked_per_destination;
  for (size_t i = 0; i < sub_threads.size(); ++i) {
    uint64_t n = 0;
    if (expect == Expect::kEverything) {
      n = publish->acked;
    } else if (i < per_destination.size()) {
      n = per_destination[i];
    }
    expected_per_sub[i].store(n);
  }
  for (auto& t : sub_threads) t.join();
  if (delivery != nullptr) SumSubscribers(begin, sub_results, delivery);
}

}  // namespace lintas::bench
