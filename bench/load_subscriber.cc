// The subscribing side of the load generator.
#include "load_subscriber.h"

#include "event_template.h"
#include "lintas/wire/frame.h"
#include "testutil/broker_harness.h"
#include "thread_cpu.h"

namespace lintas::bench {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

SubscriberResult RunSubscriber(zmq::context_t& ctx, const SubscriberOptions& options,
                               const std::atomic<uint64_t>& expected,
                               const std::atomic<int64_t>& deadline_nanos,
                               std::atomic<size_t>& ready) {
  const double cpu0 = CallingThreadCpuSeconds();
  SubscriberResult result;
  node::BrokerClient client(ctx, options.client);
  auto status = client.Connect();
  if (!status.ok()) {
    result.error = status.error().message;
    ready.fetch_add(1);
    return result;
  }
  result.subscribed_at = Clock::now();
  // Packed Delivers, as the node takes them.
  if (!testutil::Subscribe(client, options.subscription, nullptr, proto::StartPosition::Beginning,
                           options.credit, /*packed=*/true)) {
    result.error = "Subscribe was not answered";
    ready.fetch_add(1);
    return result;
  }
  result.connected = true;
  ready.fetch_add(1);
  const uint32_t refill = std::max<uint32_t>(1, options.credit / 4);
  uint32_t consumed = 0;  // records taken since the last Credit
  while (result.received < expected.load(std::memory_order_acquire) &&
         SteadyNanos() < deadline_nanos.load(std::memory_order_acquire)) {
    auto in = client.Receive(50ms);
    if (!in.ok() || !in->has_value()) continue;
    const node::Incoming& m = **in;
    if (m.command != proto::Command::Deliver) continue;
    const auto* deliver = m.control()->command_as_Deliver();
    auto now_nanos = SteadyNanos();
    auto now = Clock::now();
    if (result.received == 0) result.first_record = now;
    result.last_record = now;
    for (size_t i = 0; i < m.payload_count(); ++i) {
      if (options.record_latency) {
        if (auto stamp = FindStamp(m.payload(i))) {
          result.delivery_ms.Add(static_cast<double>(now_nanos - *stamp) / 1e6);
        }
      }
    }
    result.received += m.payload_count();
    consumed += static_cast<uint32_t>(m.payload_count());
    result.last_offset = deliver->offsets()->Get(deliver->offsets()->size() - 1);
    if (consumed >= refill) {
      // A node acknowledges what it made durable; the benchmark's subscriber
      // keeps nothing, so it acknowledges on receipt.
      (void)client.SendControl(wire::EncodeDeliveryAck(options.subscription, result.last_offset));
      (void)client.SendControl(wire::EncodeCredit(options.subscription, 0, consumed));
      consumed = 0;
    }
  }
  if (result.last_offset > 0) {
    (void)client.SendControl(wire::EncodeDeliveryAck(options.subscription, result.last_offset));
  }
  result.cpu_seconds = CallingThreadCpuSeconds() - cpu0;
  return result;
}

}  // namespace lintas::bench
