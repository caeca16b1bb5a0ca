// The publishing side of the load generator.
#include "load_publisher.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "event_template.h"
#include "lintas/wire/errc.h"
#include "thread_cpu.h"

namespace lintas::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// What the publisher remembers about an event between its send and its answer.
struct Slot {
  uint64_t seq = 0;  // 0: free
  Clock::time_point sent_at;
  uint32_t destination = 0;
};

size_t RoundUpPow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Where one publisher's events come from: templates copied with a fresh id
// and stamp, or a pre-sealed pool taken in order. Destinations take turns,
// one Publish each. Thread safety: none; owned by the publisher's thread.
class EventSource {
 public:
  EventSource(const PublisherOptions& options, size_t batch) : sealed_(options.sealed) {
    if (sealed_ != nullptr) {
      taken_.assign(sealed_->per_destination.size(), 0);
      return;
    }
    for (const auto& [country, agency] : options.destinations) {
      if (options.kind == EventKind::kRegionalAlert) {
        templates_.push_back(
            EventTemplate::RegionalAlert(options.client.country, options.origin_agency, options.event_bytes));
      } else {
        templates_.emplace_back(options.client.country, options.origin_agency, country, agency,
                                options.event_bytes);
      }
      buffers_.emplace_back(batch, templates_.back().bytes());
    }
  }

  // Events still to come: the pool's rest, or unbounded.
  uint64_t left() const { return sealed_ != nullptr ? sealed_->size() - sent_ : UINT64_MAX; }

  // Up to `n` events for the destination whose turn it is (*destination);
  // empty when nothing is left. The span lives until the next call.
  std::span<const std::string> Next(size_t n, size_t* destination) {
    if (sealed_ == nullptr) {
      *destination = next_;
      std::vector<std::string>& events = buffers_[next_];
      n = std::min(n, events.size());
      int64_t stamp = SteadyNanos();
      for (size_t i = 0; i < n; ++i) templates_[next_].Patch(events[i], ids_.Next(), stamp);
      return {events.data(), n};
    }
    const auto& pool = sealed_->per_destination;
    for (size_t k = 0; k < pool.size(); ++k) {
      size_t d = (next_ + k) % pool.size();
      if (taken_[d] < pool[d].size()) {
        *destination = d;
        next_ = d;
        return {pool[d].data() + taken_[d], std::min(n, pool[d].size() - taken_[d])};
      }
    }
    return {};
  }

  // The events of the last Next() were sent.
  void Sent(size_t n) {
    if (sealed_ != nullptr) taken_[next_] += n;
    sent_ += n;
    size_t destinations = sealed_ != nullptr ? taken_.size() : buffers_.size();
    next_ = (next_ + 1) % destinations;
  }

 private:
  const SealedPool* sealed_;  // not owned
  std::vector<EventTemplate> templates_;
  std::vector<std::vector<std::string>> buffers_;  // per destination, `batch` events
  std::vector<size_t> taken_;                      // sealed: per destination
  wire::EventIdGenerator ids_;
  size_t next_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace

PublisherResult RunPublisher(zmq::context_t& ctx, const PublisherOptions& options,
                             std::atomic<size_t>& connected, const std::atomic<bool>& start) {
  const double cpu0 = CallingThreadCpuSeconds();
  PublisherResult result;
  result.acked_per_destination.assign(options.destinations.size(), 0);
  node::BrokerClient client(ctx, options.client);
  auto status = client.Connect();
  connected.fetch_add(1);
  if (!status.ok()) {
    result.error = status.error().message;
    return result;
  }
  result.connected = true;
  size_t batch = std::clamp<size_t>(options.batch, 1, client.ready().max_batch);
  size_t window = std::max(options.window, batch);

  EventSource source(options, batch);
  std::vector<Slot> ring(RoundUpPow2(window));
  const size_t mask = ring.size() - 1;
  if (options.record_latency) {
    double expected = options.count > 0 ? static_cast<double>(options.count) : 1e6;
    result.ack_ms.Reserve(static_cast<size_t>(std::min(expected, 2e7)));
  }

  while (!start.load(std::memory_order_acquire)) std::this_thread::sleep_for(1ms);
  const Clock::time_point begin = Clock::now();
  result.first_send = begin;
  uint64_t answered = 0;
  bool sending = true;
  Clock::time_point drain_deadline = Clock::time_point::max();

  auto on_answer = [&](uint64_t seq, bool ack, uint16_t code, Clock::time_point now) {
    Slot& slot = ring[seq & mask];
    if (slot.seq != seq) return;  // not ours, or already answered
    slot.seq = 0;
    ++answered;
    result.last_answer = now;
    if (ack) {
      ++result.acked;
      ++result.acked_per_destination[slot.destination];
      if (options.record_latency) {
        result.ack_ms.Add(std::chrono::duration<double, std::milli>(now - slot.sent_at).count());
      }
    } else {
      ++result.refused;
      if (code == static_cast<uint16_t>(wire::errc::overloaded)) ++result.overloaded;
    }
  };

  while (true) {
    Clock::time_point now = Clock::now();
    if (sending && (now >= options.stop_at || (options.count > 0 && result.sent >= options.count) ||
                    source.left() == 0)) {
      sending = false;
      drain_deadline = now + options.drain;
    }
    if (!sending && (answered >= result.sent || now >= drain_deadline)) break;

    // Send what is due (rate mode) or what the window allows.
    std::chrono::milliseconds wait = 100ms;
    if (sending) {
      uint64_t due = UINT64_MAX;
      if (options.rate > 0) {
        double elapsed = std::chrono::duration<double>(now - begin).count();
        due = static_cast<uint64_t>(elapsed * options.rate) + 1;
        if (due > result.sent) {
          double lag = 1000.0 * (elapsed - static_cast<double>(result.sent) / options.rate);
          result.max_lag_ms = std::max(result.max_lag_ms, lag);
        }
      }
      if (options.count > 0) due = std::min<uint64_t>(due, options.count);
      while (result.sent < due && result.sent - answered < window) {
        size_t n = static_cast<size_t>(
            std::min<uint64_t>({due - result.sent, batch, window - (result.sent - answered)}));
        size_t d = 0;
        std::span<const std::string> events = source.Next(n, &d);
        if (events.empty()) break;  // a sealed pool, all sent
        n = events.size();
        auto first = client.Publish(events);
        if (!first.ok()) break;  // the pipe is full: read answers first
        Clock::time_point sent_at = Clock::now();
        for (size_t i = 0; i < n; ++i) {
          Slot& slot = ring[(*first + i) & mask];
          slot = Slot{*first + i, sent_at, static_cast<uint32_t>(d)};
        }
        result.sent += n;
        source.Sent(n);
      }
      if (options.rate > 0 && result.sent - answered < window) {
        // Sleep in the poll until the next event is due. zmq_poll counts in
        // ms: at least 1 ms, or the generator would spin and take the CPU the
        // broker needs; events due meanwhile go out together on the next tick.
        double next_due = static_cast<double>(result.sent) / options.rate;
        double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
        auto ms = static_cast<long>(std::ceil(std::max(0.0, (next_due - elapsed) * 1000.0)));
        wait = std::chrono::milliseconds(std::clamp<long>(ms, 1, 100));
      }
    }

    auto in = client.Receive(wait);
    while (in.ok() && in->has_value()) {
      now = Clock::now();
      const node::Incoming& m = **in;
      if (m.command == proto::Command::Ack) {
        for (const auto* e : *m.control()->command_as_Ack()->entries()) {
          on_answer(e->seq(), true, 0, now);
        }
      } else if (m.command == proto::Command::Nack) {
        const auto* nack = m.control()->command_as_Nack();
        on_answer(nack->seq(), false, nack->code(), now);
      }
      in = client.Receive(0ms);  // drain what is already there
    }
  }
  result.cpu_seconds = CallingThreadCpuSeconds() - cpu0;
  return result;
}

}  // namespace lintas::bench
