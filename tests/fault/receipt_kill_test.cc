// A receiving node killed with SIGKILL at random moments while referrals
// arrive still answers every referral with exactly one delivery receipt:
// the receipt is queued in the same synced write as the inbox record, so a
// kill leaves both or neither (and then the broker redelivers the record).
//
// LINTAS_RECEIPT_KILLS (default 8) sets the number of kills.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lintas/common/clock.h"
#include "lintas/wire/examples.h"
#include "testutil/broker_harness.h"
#include "testutil/test_seal_keys.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;

// lintas-node for kh-node as a child process (plaintext, loopback).
class KhNode {
 public:
  KhNode(const std::string& dir, const std::string& broker) : dir_(dir) {
    std::ofstream(dir + "/kh-node.toml") << "[node]\nid = \"kh-node\"\ncountry = \"KHM\"\n"
                                         << "default_agency = \"kh-mosvy\"\ndata_dir = \"" << dir << "/kh-data\"\n"
                                         << "seal_key_file = \""
                                         << testutil::WriteTestSealKeyFile(dir + "/kh-node.seal.key", "kh-node")
                                         << "\"\n"
                                         << "api_port = 0\nlog_level = \"error\"\n[broker]\nendpoint = \"" << broker
                                         << "\"\nretry_initial_ms = 10\nretry_max_ms = 100\n"
                                         << "[security]\nmode = \"plaintext\"\n";
  }
  ~KhNode() { Kill(); }
  void Start() {
    std::string binary = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas-node";
    std::string config = dir_ + "/kh-node.toml";
    pid_ = fork();
    if (pid_ == 0) {
      execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

std::string Referral(const wire::EventId& id, int n) {
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(id.ToFb());
  e.created_at_us = NowMicros();
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = "THA";
  e.origin->agency = "th-rtp-atpd";
  auto d = std::make_unique<fb::DestinationT>();
  d->country = "KHM";
  d->agency = "kh-mosvy";
  e.destinations.push_back(std::move(d));
  e.case_id = "TH-KILL-" + std::to_string(n);
  e.priority = fb::Priority::Urgent;
  fb::ReferralCreatedT b;
  b.victim = std::make_unique<fb::VictimBlockT>();
  b.victim->pseudonym = "V-KILL-" + std::to_string(n);
  b.consent = std::make_unique<fb::ConsentScopeT>();
  b.consent->items = {fb::ConsentItem::Identity};
  e.body.Set(std::move(b));
  return wire::PackEvent(e);
}

// Delivery receipts in the broker's log, by the referral they answer.
std::map<std::string, int> Receipts(store::Store& log) {
  std::map<std::string, int> out;
  for (uint64_t o = 1; o <= log.size(); ++o) {
    auto rec = log.ReadRecord(o);
    if (!rec.ok() || !rec->has_value()) continue;
    const fb::Event* e = testutil::RecordEvent(**rec);
    if (e && e->body_type() == fb::Body::DeliveryReceipt && e->parent_id()) {
      ++out[wire::EventId::FromFb(*e->parent_id()).ToString()];
    }
  }
  return out;
}

TEST(ReceiptKillTest, EveryReferralGetsExactlyOneDeliveryReceiptAcrossKills) {
  testutil::TempDir dir;
  std::string endpoint = "ipc://" + dir.Sub("broker.sock");
  testutil::InProcessBroker broker(testutil::TestConfig(dir.Sub("broker-data"), endpoint));
  zmq::context_t ctx(1);
  node::BrokerClient th(ctx, testutil::NodeOptions(endpoint, "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  wire::EventIdGenerator ids;
  std::vector<std::string> referral_ids;
  std::vector<std::string> events;
  const int kReferrals = 400;
  for (int i = 0; i < kReferrals; ++i) {
    wire::EventId id = ids.Next();
    referral_ids.push_back(id.ToString());
    events.push_back(Referral(id, i));
  }
  auto outcomes = testutil::PublishAndWait(th, events, 30s);
  for (const auto& o : outcomes) ASSERT_TRUE(o.acked) << o.message;

  int kills = std::getenv("LINTAS_RECEIPT_KILLS") ? std::atoi(std::getenv("LINTAS_RECEIPT_KILLS")) : 8;
  std::mt19937 rng(static_cast<unsigned>(NowMicros()));
  KhNode kh(dir.path().string(), endpoint);
  for (int k = 0; k < kills; ++k) {
    kh.Start();
    // The fault schedule, not synchronisation: kill at a random moment of
    // the node's start-up and catch-up.
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + rng() % 160));
    kh.Kill();
  }
  kh.Start();
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::map<std::string, int> receipts;
  while (std::chrono::steady_clock::now() < deadline) {
    receipts = Receipts(broker.broker().store());
    if (receipts.size() >= referral_ids.size()) break;
    std::this_thread::sleep_for(50ms);  // polling with a deadline
  }
  kh.Kill();
  EXPECT_EQ(receipts.size(), referral_ids.size());
  for (const auto& id : referral_ids) {
    EXPECT_EQ(receipts[id], 1) << "referral " << id << " has " << receipts[id] << " delivery receipts";
  }
}

}  // namespace
}  // namespace lintas
