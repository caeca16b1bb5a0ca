// Issue 15, witnessed checkpoints (docs/AUDIT.md 3b): nodes co-sign the
// broker checkpoints they verified and see each other's through the broker;
// two brokers started from one data directory (so holding one signing key)
// and fed different events are a fork, detected by two nodes that each saw
// one side, each keeping both co-signed checkpoints as the evidence, which
// `lintas audit compare` confirms offline. Real brokers, real nodes, real
// sockets, real RocksDB in temporary directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/witness.h"
#include "lintas/wire/frame.h"
#include "node_fixture.h"

namespace lintas {
namespace {

using namespace nodetest;
namespace fs = std::filesystem;

class WitnessTest : public NodeTest {
 protected:
  std::string TwinEndpoint() { return "ipc://" + dir_.Sub("broker-twin.sock"); }
  audit::PublicKey BrokerKey() {
    auto key = audit::LoadPublicKey(dir_.Sub("broker-data") + "/audit-signing.key.pub");
    EXPECT_TRUE(key.ok());
    return key.ok() ? *key : audit::PublicKey{};
  }
  void Publish(int port, const std::string& node, const json& event) {
    Http api(port, TokenOf(node));
    auto [status, body] = api.Post("/v1/events", event.dump());
    ASSERT_EQ(status, 202) << body.dump();
    std::vector<std::string> ids{body.value("id", "")};
    ASSERT_TRUE(Eventually([&] { return AllAcknowledged(api, ids); }));
  }
  // The node's view of the witnesses (GET /v1/audit/witnesses).
  json View(int port, const std::string& node) { return Http(port, TokenOf(node)).Get("/v1/audit/witnesses").second; }
  static std::string AlarmOf(int port) {
    auto [s, health] = Http(port, "").Get("/v1/health");
    return health.is_object() && health["audit_alarm"].is_string() ? health["audit_alarm"].get<std::string>() : "";
  }
  static uint64_t KeptSize(const json& view) {
    if (!view.is_object() || !view["own"].is_object()) return 0;
    auto cp = audit::Checkpoint::Parse(view["own"].value("checkpoint", ""));
    return cp.ok() ? cp->size : 0;
  }
  static const json* PeerStatus(const json& view, const std::string& peer) {
    if (!view.is_object()) return nullptr;
    for (const auto& p : view["peers"]) {
      if (p.value("node", "") == peer) return &p;
    }
    return nullptr;
  }
  static const json* ForkWith(const json& view, const std::string& peer) {
    if (!view.is_object()) return nullptr;
    for (const auto& f : view["forks"]) {
      if (f.value("peer", "") == peer) return &f;
    }
    return nullptr;
  }
};

TEST_F(WitnessTest, NodesCoSignOneHistoryAndSeeEachOthersCheckpoints) {
  StartBroker();
  int th_port = 0;
  int kh_port = 0;
  auto th = StartNode("th-node", &th_port, QuickChecks);
  auto kh = StartNode("kh-node", &kh_port, QuickChecks);
  Publish(th_port, "th-node", Referral("TH-W-1"));
  // Each node co-signed a checkpoint and found the other's consistent.
  json th_view;
  ASSERT_TRUE(Eventually([&] {
    th_view = View(th_port, "th-node");
    const json* p = PeerStatus(th_view, "kh-node");
    return KeptSize(th_view) > 0 && p != nullptr && p->value("status", "") == "consistent";
  })) << th_view.dump();
  json kh_view;
  ASSERT_TRUE(Eventually([&] {
    kh_view = View(kh_port, "kh-node");
    const json* p = PeerStatus(kh_view, "th-node");
    return p != nullptr && p->value("status", "") == "consistent";
  })) << kh_view.dump();
  // The co-signature is the node's own, over the broker's signed checkpoint.
  auto own = audit::CosignedCheckpoint::FromJson(th_view["own"].dump());
  ASSERT_TRUE(own.ok()) << own.error().message;
  EXPECT_EQ(own->node, "th-node");
  EXPECT_TRUE(own->Verify(BrokerKey()).ok());
  EXPECT_EQ(th_view["witness_key"], audit::KeyToBase64(own->witness_key));
  EXPECT_TRUE(th_view["forks"].empty()) << th_view.dump();
  auto [hs, health] = Http(th_port, "").Get("/v1/health");
  EXPECT_EQ(health["witnesses"]["forks"], 0) << health.dump();
  EXPECT_EQ(health["status"], "ok") << health.dump();
  // Nobody reads it without logging in.
  EXPECT_EQ(Http(th_port, "").Get("/v1/audit/witnesses").first, 401);
}

// A peer's witness key pinned out of band ([audit.witness_keys]): a
// co-signature under another key is not trusted, and the alarm says so.
TEST_F(WitnessTest, ACoSignatureUnderAnotherKeyThanThePinnedOneIsNotTrusted) {
  StartBroker();
  int th_port = 0;
  int kh_port = 0;
  std::string other = audit::KeyToBase64(audit::WitnessKey::Generate().public_key());
  auto th = StartNode("th-node", &th_port, [&](node::NodeConfig& c) {
    QuickChecks(c);
    c.witness_keys["kh-node"] = other;
  });
  auto kh = StartNode("kh-node", &kh_port, QuickChecks);
  Publish(th_port, "th-node", Referral("TH-W-KEY"));
  json th_view;
  ASSERT_TRUE(Eventually([&] {
    th_view = View(th_port, "th-node");
    const json* p = PeerStatus(th_view, "kh-node");
    return p != nullptr && p->value("status", "") == "untrusted";
  })) << th_view.dump();
  EXPECT_TRUE(th_view["forks"].empty()) << th_view.dump();
  // The alarm is recorded just after the peer's status.
  std::string alarm;
  EXPECT_TRUE(Eventually([&] {
    alarm = AlarmOf(th_port);
    return alarm.find("not the one pinned (" + other + ")") != std::string::npos;
  })) << alarm;
}

// The broker refuses a co-signature made in another node's name, or one
// whose signatures do not verify, naming the field; a sound one is answered
// with the other nodes' co-signed checkpoints.
TEST_F(WitnessTest, TheBrokerTakesACoSignatureOnlyFromItsNodeAndOnlyWhenItVerifies) {
  StartBroker();
  int th_port = 0;
  auto th = StartNode("th-node", &th_port, QuickChecks);
  Publish(th_port, "th-node", Referral("TH-W-REFUSE"));
  json th_view;
  ASSERT_TRUE(Eventually([&] {
    th_view = View(th_port, "th-node");
    return KeptSize(th_view) > 0;
  }));
  auto real = audit::CosignedCheckpoint::FromJson(th_view["own"].dump());
  ASSERT_TRUE(real.ok());
  zmq::context_t ctx;
  node::BrokerClient client(ctx, testutil::NodeOptions(BrokerEndpoint(), "kh-node"));
  ASSERT_TRUE(client.Connect().ok());
  auto ask = [&](const audit::CosignedCheckpoint& c) {
    proto::ControlT control;
    proto::AuditQueryT q;
    q.query_id = (uint64_t{1} << 60) | 7;
    q.kind = proto::AuditQueryKind::Witness;
    q.witness = audit::ToWire(c);
    control.command.Set(std::move(q));
    EXPECT_TRUE(client.SendControl(wire::EncodeControl(control)).ok());
    for (int i = 0; i < 50; ++i) {
      auto m = client.Receive(std::chrono::milliseconds(200));
      if (m.ok() && m->has_value() &&
          ((*m)->command == proto::Command::Error || (*m)->command == proto::Command::AuditReply)) {
        return std::move(**m);
      }
    }
    ADD_FAILURE() << "no answer to the Witness query";
    return node::Incoming{};
  };
  // th-node's co-signature, sent by kh-node's session: refused.
  auto as_other = ask(*real);
  ASSERT_EQ(as_other.command, proto::Command::Error);
  const auto* e = as_other.control()->command_as_Error();
  EXPECT_EQ(e->code(), static_cast<uint16_t>(wire::errc::permission_denied));
  EXPECT_NE(e->message()->str().find("witness.node"), std::string::npos) << e->message()->str();
  // kh-node's own, with a signature that is not its key's: refused.
  audit::WitnessKey kh_key = audit::WitnessKey::Generate();
  audit::CosignedCheckpoint forged = kh_key.Cosign("kh-node", real->checkpoint, real->broker_signature, 42);
  forged.witness_signature[0] ^= 1;
  auto bad = ask(forged);
  ASSERT_EQ(bad.command, proto::Command::Error);
  EXPECT_EQ(bad.control()->command_as_Error()->code(), static_cast<uint16_t>(wire::errc::malformed_message));
  // A sound one: answered with th-node's, which needs no proof (one size).
  auto good = ask(kh_key.Cosign("kh-node", real->checkpoint, real->broker_signature, 43));
  ASSERT_EQ(good.command, proto::Command::AuditReply);
  ASSERT_EQ(good.payload_count(), 1u);
  const auto* peer = flatbuffers::GetRoot<proto::CosignedCheckpoint>(good.payload(0).data());
  EXPECT_EQ(peer->node()->str(), "th-node");
  EXPECT_TRUE(peer->unprovable() == nullptr || peer->unprovable()->size() == 0);
}

// The split view: two brokers started from one data directory, each
// fed a different event, each showing one node its own history.
TEST_F(WitnessTest, AForkIsDetectedByTheTwoNodesThatEachSawOneSide) {
  StartBroker();
  int th_port = 0;
  int kh_port = 0;
  auto th = StartNode("th-node", &th_port, QuickChecks);
  auto kh = StartNode("kh-node", &kh_port, QuickChecks);
  Publish(th_port, "th-node", Referral("TH-W-BASE"));
  ASSERT_TRUE(Eventually([&] { return PeerStatus(View(kh_port, "kh-node"), "th-node") != nullptr; }));
  // The broker's data directory (its signing key with it) is copied, and a
  // twin starts from the copy; kh-node is moved to the twin.
  kh.reset();
  broker_.reset();
  fs::copy(dir_.Sub("broker-data"), dir_.Sub("broker-twin-data"), fs::copy_options::recursive);
  StartBroker();
  auto twin = std::make_unique<testutil::InProcessBroker>(
      testutil::TestConfig(dir_.Sub("broker-twin-data"), TwinEndpoint()));
  kh = StartNode("kh-node", &kh_port, [&](node::NodeConfig& c) {
    QuickChecks(c);
    c.broker_endpoint = TwinEndpoint();
    c.broker_fallbacks = {BrokerEndpoint()};
  });
  uint64_t base = KeptSize(View(th_port, "th-node"));
  // Different events on each side: two histories of one broker key.
  Publish(th_port, "th-node", Referral("TH-W-SIDE-A"));
  Publish(kh_port, "kh-node", ReferralTo("THA", "th-rtp-atpd", "KH-W-SIDE-B"));
  ASSERT_TRUE(Eventually([&] { return KeptSize(View(th_port, "th-node")) > base; }));
  ASSERT_TRUE(Eventually([&] { return KeptSize(View(kh_port, "kh-node")) > base; }));
  EXPECT_TRUE(View(th_port, "th-node")["forks"].empty());  // nothing seen of the other side yet
  // The twin goes away; kh-node falls back to the first broker, where the
  // two co-signed checkpoints meet.
  twin.reset();
  json th_view;
  json kh_view;
  ASSERT_TRUE(Eventually([&] {
    th_view = View(th_port, "th-node");
    return ForkWith(th_view, "kh-node") != nullptr;
  })) << th_view.dump();
  ASSERT_TRUE(Eventually([&] {
    kh_view = View(kh_port, "kh-node");
    return ForkWith(kh_view, "th-node") != nullptr;
  })) << kh_view.dump();
  // Each side's evidence: both co-signed checkpoints, both signed by the
  // broker's one key, that cannot be one history.
  for (const auto* fork : {ForkWith(th_view, "kh-node"), ForkWith(kh_view, "th-node")}) {
    auto own = audit::CosignedCheckpoint::FromJson((*fork)["own"].dump());
    auto peer = audit::CosignedCheckpoint::FromJson((*fork)["peer_checkpoint"].dump());
    ASSERT_TRUE(own.ok() && peer.ok()) << fork->dump();
    EXPECT_TRUE(own->Verify(BrokerKey()).ok());
    EXPECT_TRUE(peer->Verify(BrokerKey()).ok());
    EXPECT_NE(own->node, peer->node);
    EXPECT_NE(own->checkpoint, peer->checkpoint);
  }
  // Both nodes raise the alarm, naming the other (recorded just after the
  // evidence).
  for (auto [port, other] : {std::pair{th_port, "kh-node"}, std::pair{kh_port, "th-node"}}) {
    std::string alarm;
    EXPECT_TRUE(Eventually([&] {
      alarm = AlarmOf(port);
      return alarm.find("FORK: the broker showed node " + std::string(other)) != std::string::npos;
    })) << alarm;
    auto [s, health] = Http(port, "").Get("/v1/health");
    EXPECT_EQ(health["status"], "alarm") << health.dump();
    EXPECT_GE(health["witnesses"]["forks"].get<int>(), 1) << health.dump();
  }
  // Offline: th-node's two checkpoints, saved, are a fork to `lintas audit
  // compare` when they have one size (else it needs a complete export).
  const json& evidence = *ForkWith(th_view, "kh-node");
  std::ofstream(dir_.Sub("a.json")) << evidence["own"].dump() << "\n";
  std::ofstream(dir_.Sub("b.json")) << evidence["peer_checkpoint"].dump() << "\n";
  std::ofstream(dir_.Sub("key.pub")) << audit::KeyToBase64(BrokerKey()) << "\n";
  std::string out = dir_.Sub("compare.txt");
  std::string cmd = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas audit compare " + dir_.Sub("a.json") + " " +
                    dir_.Sub("b.json") + " --broker-key " + dir_.Sub("key.pub") + " > " + out + " 2>&1";
  int rc = WEXITSTATUS(std::system(cmd.c_str()));
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  EXPECT_EQ(rc, 1) << text.str();
  auto a = audit::Checkpoint::Parse(evidence["own"].value("checkpoint", ""));
  auto b = audit::Checkpoint::Parse(evidence["peer_checkpoint"].value("checkpoint", ""));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(text.str().find(a->size == b->size ? "FORK:" : "UNDECIDED:"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("co-signed by node kh-node"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace lintas
