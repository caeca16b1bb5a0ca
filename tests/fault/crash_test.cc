// Durability under kill -9: a publisher sends continuously while the broker
// process is killed with SIGKILL at random moments and restarted. Afterwards
// every acknowledged event is in the log exactly once, at the offset it was
// acknowledged with, and the offsets have no gap.
//
// LINTAS_CRASH_CYCLES (default 20) sets the number of kill/restart cycles;
// ops/soak-crash.sh runs it for as many as you like. LINTAS_CRASH_SEED fixes
// the random kill times.
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "lintas/common/clock.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// The publisher's view: every event it made, and what the broker said.
class Publisher {
 public:
  explicit Publisher(std::mt19937& rng) : rng_(rng) {}

  // Publishes (resending the unacknowledged first) and collects acks until
  // `alive` turns false, then drains what already arrived.
  void RunUntilKilled(node::BrokerClient& client, const std::atomic<bool>& alive) {
    std::map<uint64_t, size_t> by_seq;
    std::vector<size_t> resend(unacked_.begin(), unacked_.end());
    size_t resend_pos = 0;
    while (alive.load()) {
      // Keep a window of events in flight: resends first, in order, then new ones.
      if (in_flight(by_seq) < 512) {
        std::vector<std::string> batch;
        std::vector<size_t> which;
        size_t n = 1 + rng_() % 64;
        while (batch.size() < n) {
          size_t idx;
          if (resend_pos < resend.size()) {
            idx = resend[resend_pos++];
          } else {
            idx = NewEvent();
          }
          batch.push_back(events_[idx]);
          which.push_back(idx);
        }
        auto first = client.Publish(batch);
        if (first.ok()) {
          for (size_t i = 0; i < which.size(); ++i) by_seq[*first + i] = which[i];
        }
      }
      Collect(client, by_seq, 2ms);
    }
    // Acks the broker sent before it died may still be in our socket.
    Collect(client, by_seq, 50ms);
  }

  // With the broker up for good: resend until every event is acknowledged.
  bool DrainAll(node::BrokerClient& client, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!unacked_.empty() && std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> batch;
      for (size_t idx : unacked_) {
        batch.push_back(events_[idx]);
        if (batch.size() == 256) break;
      }
      auto out = testutil::PublishAndWait(client, batch, testutil::Remaining(deadline));
      size_t i = 0;
      std::vector<size_t> done;
      for (size_t idx : unacked_) {
        if (i >= out.size()) break;
        if (out[i].acked) {
          if (out[i].duplicate) ++duplicates_;
          Record(idx, out[i].offset);
          done.push_back(idx);
        }
        ++i;
      }
      for (size_t idx : done) unacked_.erase(idx);
    }
    return unacked_.empty();
  }

  const std::vector<std::string>& events() const { return events_; }
  const std::map<size_t, uint64_t>& acked() const { return acked_; }
  size_t ack_conflicts() const { return conflicts_; }
  // Resends answered "already stored": synced before a kill, ack never seen.
  size_t duplicates() const { return duplicates_; }

 private:
  size_t NewEvent() {
    size_t idx = events_.size();
    events_.push_back(testutil::MinimalReferral(ids_.Next(), "THA", "th-rtp-atpd", "KHM",
                                                "kh-mosvy", 200 + rng_() % 800));
    unacked_.insert(idx);
    return idx;
  }

  size_t in_flight(const std::map<uint64_t, size_t>& by_seq) const { return by_seq.size(); }

  void Collect(node::BrokerClient& client, std::map<uint64_t, size_t>& by_seq,
               std::chrono::milliseconds wait) {
    for (;;) {
      auto in = client.Receive(wait);
      if (!in.ok() || !in->has_value()) return;
      wait = 0ms;
      const node::Incoming& m = **in;
      if (m.command != proto::Command::Ack) continue;
      for (const auto* e : *m.control()->command_as_Ack()->entries()) {
        auto it = by_seq.find(e->seq());
        if (it == by_seq.end()) continue;
        if (e->duplicate()) ++duplicates_;
        Record(it->second, e->offset());
        unacked_.erase(it->second);
        by_seq.erase(it);
      }
    }
  }

  void Record(size_t idx, uint64_t offset) {
    auto [it, fresh] = acked_.emplace(idx, offset);
    if (!fresh && it->second != offset) ++conflicts_;  // acked twice with different offsets
  }

  std::mt19937& rng_;
  wire::EventIdGenerator ids_;
  std::vector<std::string> events_;
  std::set<size_t> unacked_;           // ordered: resent in publish order
  std::map<size_t, uint64_t> acked_;   // event index -> offset
  size_t conflicts_ = 0;
  size_t duplicates_ = 0;
};

TEST(CrashTest, AcknowledgedEventsSurviveSigkillExactlyOnceWithoutGaps) {
  const int cycles = EnvInt("LINTAS_CRASH_CYCLES", 20);
  const unsigned seed = static_cast<unsigned>(EnvInt("LINTAS_CRASH_SEED", static_cast<int>(std::random_device{}())));
  std::cout << "crash test: " << cycles << " cycles, LINTAS_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  testutil::TempDir dir;
  std::string endpoint = "ipc://" + dir.Sub("broker.sock");
  zmq::context_t ctx;
  Publisher publisher(rng);
  size_t kills_with_unacked = 0;

  for (int cycle = 0; cycle < cycles; ++cycle) {
    testutil::BrokerProcess broker(dir.path().string(), endpoint);
    node::BrokerClient client(ctx, testutil::NodeOptions(broker.endpoint(), "th-node"));
    ASSERT_TRUE(client.Connect().ok()) << "cycle " << cycle;
    std::atomic<bool> alive{true};
    // Kill at a random moment, 5-150 ms into the publishing.
    std::thread killer([&, delay = std::chrono::milliseconds(5 + rng() % 146)] {
      std::this_thread::sleep_for(delay);  // the fault's timing, not a synchronisation
      broker.Kill();
      alive = false;
    });
    publisher.RunUntilKilled(client, alive);
    killer.join();
    client.Close();
    if (publisher.acked().size() < publisher.events().size()) ++kills_with_unacked;
  }

  // Bring the broker back for good and let the publisher finish.
  {
    testutil::BrokerProcess broker(dir.path().string(), endpoint);
    node::BrokerClient client(ctx, testutil::NodeOptions(broker.endpoint(), "th-node"));
    ASSERT_TRUE(client.Connect().ok());
    ASSERT_TRUE(publisher.DrainAll(client, 60s));
    EXPECT_EQ(broker.Terminate(), 0);  // graceful SIGTERM exits 0
  }
  EXPECT_EQ(publisher.ack_conflicts(), 0u);
  EXPECT_GT(kills_with_unacked, 0u) << "no kill landed while events were in flight";

  // Read the log straight from RocksDB.
  auto opened = store::RocksDbStore::Open({dir.Sub("data")});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  store::Store& log = **opened;
  const uint64_t size = log.size();
  std::map<wire::EventId, uint64_t> stored;
  for (uint64_t offset = 1; offset <= size; ++offset) {
    auto record = log.ReadRecord(offset);
    ASSERT_TRUE(record.ok() && record->has_value()) << "gap at offset " << offset;
    auto verified = wire::VerifyRecord(wire::AsBytes(**record));
    ASSERT_TRUE(verified.ok()) << "offset " << offset << ": " << verified.error().message;
    ASSERT_EQ((*verified)->offset(), offset);
    const fb::Event* e = fb::GetEvent(wire::RecordEventBytes(**verified).data());
    auto [it, fresh] = stored.emplace(wire::EventId::FromFb(*e->id()), offset);
    ASSERT_TRUE(fresh) << "event stored twice, at " << it->second << " and " << offset;
  }
  EXPECT_EQ(size, publisher.events().size());
  for (const auto& [idx, offset] : publisher.acked()) {
    auto verified = wire::VerifyEvent(wire::AsBytes(publisher.events()[idx]));
    ASSERT_TRUE(verified.ok());
    auto it = stored.find(wire::EventId::FromFb(*(*verified)->id()));
    ASSERT_NE(it, stored.end()) << "acknowledged event " << idx << " lost";
    EXPECT_EQ(it->second, offset) << "acknowledged event " << idx << " moved";
  }
  std::cout << "crash test: " << publisher.events().size() << " events, " << size
            << " records, " << publisher.duplicates() << " resends answered as duplicates, "
            << kills_with_unacked << " of " << cycles << " kills with events in flight\n";
}

}  // namespace
}  // namespace lintas
