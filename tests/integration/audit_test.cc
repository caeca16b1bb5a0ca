// The audit trail end to end: a real broker (real sockets, real RocksDB in a
// temporary directory), an auditor node exporting with proofs, offline
// verification, and every kind of tampering the issue names: a byte flipped
// in RocksDB, a record deleted, two swapped, a truncated tail, a checkpoint
// of another key, a broker rolled back to an older copy of its data.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "lintas/audit/export_format.h"
#include "lintas/audit/signer.h"
#include "lintas/common/clock.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/node/audit_client.h"
#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/errc.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() { Start(); }

  void Start() {
    auto config = testutil::TestConfig(dir_.Sub("data"));
    config.checkpoint_every_events = 100;
    broker_ = std::make_unique<testutil::InProcessBroker>(config);
  }
  void Stop() { broker_.reset(); }

  audit::PublicKey BrokerKey() {
    auto key = audit::LoadPublicKey(dir_.Sub("data") + "/audit-signing.key.pub");
    EXPECT_TRUE(key.ok());
    return key.ok() ? *key : audit::PublicKey{};
  }

  std::unique_ptr<node::BrokerClient> Connect(const std::string& node_id) {
    auto c = std::make_unique<node::BrokerClient>(
        ctx_, testutil::NodeOptions(broker_->endpoint(), node_id));
    auto s = c->Connect();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return c;
  }

  // `n` referrals from Thailand to Cambodia; every third of case TH-AUD-3.
  std::vector<uint64_t> Publish(size_t n, const std::string& tag = "") {
    auto th = Connect("th-node");
    std::vector<std::string> events;
    for (size_t i = 0; i < n; ++i) {
      fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
      e.case_id = (i % 3 == 0) ? "TH-AUD-3" : "TH-AUD-" + tag + std::to_string(i);
      events.push_back(testutil::PackEvent(e));
    }
    std::vector<uint64_t> offsets;
    for (const auto& o : testutil::PublishAndWait(*th, events, 30s)) {
      EXPECT_TRUE(o.acked) << o.message;
      offsets.push_back(o.offset);
    }
    return offsets;
  }

  std::string Export(const node::ExportFilter& filter = {},
                     audit::ExportFormat format = audit::ExportFormat::kJsonLines) {
    auto auditor = Connect("audit-node");
    node::AuditClient client(auditor.get());
    std::ostringstream out;
    auto n = client.Export(filter, "oversight review 2026-11 (pseudonymous test)", out, format);
    EXPECT_TRUE(n.ok()) << n.error().message;
    return out.str();
  }

  // Verifies with one thread and with several: the reports must agree.
  audit::VerifyReport Verify(const std::string& text) {
    std::istringstream in(text);
    audit::VerifyReport one = audit::VerifyExport(in, BrokerKey());
    audit::VerifyReport many = audit::VerifyExportText(text, BrokerKey(), 3);
    EXPECT_EQ(one.ok, many.ok);
    EXPECT_EQ(one.line, many.line);
    EXPECT_EQ(one.offset, many.offset);
    EXPECT_EQ(one.problem, many.problem);
    return one;
  }

  // `n` referrals that the broker must refuse with log_damaged.
  void PublishRefused(size_t n) {
    auto th = Connect("th-node");
    std::vector<std::string> events;
    for (size_t i = 0; i < n; ++i) {
      events.push_back(testutil::PackEvent(testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros())));
    }
    for (const auto& o : testutil::PublishAndWait(*th, events, 30s)) {
      EXPECT_TRUE(o.answered);
      EXPECT_FALSE(o.acked);
      EXPECT_EQ(o.code, static_cast<uint16_t>(wire::errc::log_damaged)) << o.message;
    }
  }

  testutil::TempDir dir_;
  zmq::context_t ctx_;
  wire::EventIdGenerator ids_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
};

TEST_F(AuditTest, ACleanExportVerifiesInBothFormatsAndFiltered) {
  Publish(600);  // more than two blocks of 256 leaves
  auto full = Verify(Export());
  EXPECT_TRUE(full.ok) << full.problem;
  EXPECT_TRUE(full.complete);
  EXPECT_EQ(full.records, 600u);
  EXPECT_EQ(full.checkpoint_size, 600u);

  auto csv = Verify(Export({}, audit::ExportFormat::kCsv));
  EXPECT_TRUE(csv.ok) << csv.problem;
  EXPECT_EQ(csv.records, 600u);

  node::ExportFilter by_case;
  by_case.case_id = "TH-AUD-3";
  std::string text = Export(by_case);
  auto filtered = Verify(text);
  EXPECT_TRUE(filtered.ok) << filtered.problem;
  EXPECT_FALSE(filtered.complete);
  EXPECT_EQ(filtered.records, 200u);
  for (const auto& line : Lines(text)) {
    if (line.find("\"type\":\"record\"") != std::string::npos) {
      EXPECT_NE(line.find("\"case_id\":\"TH-AUD-3\""), std::string::npos);
    }
  }
}

TEST_F(AuditTest, DeletedSwappedTruncatedAndReSignedExportsAreCaught) {
  Publish(300);
  std::vector<std::string> lines = Lines(Export());
  ASSERT_EQ(lines.size(), 302u);  // header, 300 records, end
  ASSERT_TRUE(Verify(Join(lines)).ok);

  auto deleted = lines;
  deleted.erase(deleted.begin() + 42);  // the record at offset 42
  auto r = Verify(Join(deleted));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 43u);
  EXPECT_NE(r.problem.find("offset 42 expected here but found 43"), std::string::npos) << r.problem;

  auto swapped = lines;
  std::swap(swapped[10], swapped[11]);
  r = Verify(Join(swapped));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 11u);  // header on line 1, offset k on line k + 1
  EXPECT_NE(r.problem.find("offset 10 expected here but found 11"), std::string::npos) << r.problem;

  auto truncated = std::vector<std::string>(lines.begin(), lines.begin() + 250);
  r = Verify(Join(truncated));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;

  auto altered = lines;
  size_t at = altered[100].find("\"record\":\"") + 40;
  altered[100][at] = altered[100][at] == 'A' ? 'B' : 'A';
  r = Verify(Join(altered));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 100u);

  // What a reader sees must be what the record says.
  auto forged = lines;
  size_t origin = forged[7].find("\"origin\":\"THA/") + 10;
  forged[7].replace(origin, 3, "KHM");
  r = Verify(Join(forged));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 7u);
  EXPECT_NE(r.problem.find("readable fields"), std::string::npos) << r.problem;

  // A line a JSON reader sees as a record but a lax parser would skip, and a
  // record relabelled as something else: both refused.
  auto hidden = lines;
  hidden.insert(hidden.begin() + 3,
                R"({"type":"record","\u006fffset":3,"case_id":"FORGED","rec\u006frd":"AAAA","proof":[]})");
  EXPECT_FALSE(Verify(Join(hidden)).ok);
  auto relabelled = lines;
  relabelled[5].replace(relabelled[5].find("\"type\":\"record\""), 15, "\"type\":\"note\"  ");
  EXPECT_FALSE(Verify(Join(relabelled)).ok);

  // The unsigned header cannot turn a complete export into a "filtered" one
  // with a record removed.
  auto relaxed = lines;
  relaxed[0].replace(relaxed[0].find("\"complete\":true"), 15, "\"complete\":false");
  relaxed.erase(relaxed.begin() + 42);
  relaxed.back() = "{\"type\":\"end\",\"count\":299}";
  r = Verify(Join(relaxed));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("names no filter"), std::string::npos) << r.problem;

  // Hostile header types are an error, not a crash.
  auto odd = lines;
  odd[0].replace(odd[0].find("\"version\":1"), 11, "\"version\":\"1\"");
  EXPECT_FALSE(Verify(Join(odd)).ok);

  // A checkpoint signed by another key.
  std::istringstream in(Join(lines));
  auto other = audit::VerifyExport(in, audit::Signer::Generate().public_key());
  EXPECT_FALSE(other.ok);
  EXPECT_EQ(other.line, 1u);
  EXPECT_NE(other.problem.find("signature"), std::string::npos) << other.problem;

  // In a filtered export a deleted record shows in the end line's count.
  node::ExportFilter by_case;
  by_case.case_id = "TH-AUD-3";
  auto filtered = Lines(Export(by_case));
  filtered.erase(filtered.begin() + 5);
  r = Verify(Join(filtered));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("the end line says 100 records but 99"), std::string::npos) << r.problem;
}

TEST_F(AuditTest, AByteFlippedInRocksDbIsReportedWithItsOffset) {
  Publish(120);  // record 57 is in the incomplete first block: its leaf is stored anyway
  auto before = Verify(Export());
  ASSERT_TRUE(before.ok) << before.problem;
  Stop();
  {
    auto store = store::RocksDbStore::Open({dir_.Sub("data")});
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto record = (*store)->ReadRecord(57);
    ASSERT_TRUE(record.ok() && record->has_value());
    std::string tampered = **record;
    tampered[tampered.size() / 2] ^= 0x01;
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>(uint64_t{57} >> (8 * i));
    ASSERT_TRUE((*store)->db()->Put(rocksdb::WriteOptions(), (*store)->log_family(), key, tampered).ok());
  }
  Start();
  auto r = Verify(Export());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 57u) << r.problem;
  EXPECT_EQ(r.line, 58u);
}

TEST_F(AuditTest, ABrokerWhoseTreeNoLongerMatchesItsCheckpointSignsNothingNew) {
  Publish(300);
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    ASSERT_TRUE(client.Checkpoint().ok());
  }
  Stop();
  {
    auto store = store::RocksDbStore::Open({dir_.Sub("data")});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutLeafBlock(0, std::string(256 * 32, '\0')).ok());
  }
  Start();
  // It refuses publishes (log_damaged) until an operator acts.
  PublishRefused(10);
  auto auditor = Connect("vn-node");
  node::AuditClient client(auditor.get());
  auto cp = client.Checkpoint();
  ASSERT_TRUE(cp.ok()) << cp.error().message;
  EXPECT_EQ(cp->parsed.size, 300u);  // still the last honest one: nothing signed over it
  auto r = Verify(Export());
  EXPECT_FALSE(r.ok);
}

TEST_F(AuditTest, ARecordDeletedInRocksDbMakesACompleteExportFail) {
  Publish(80);
  Stop();
  {
    auto store = store::RocksDbStore::Open({dir_.Sub("data")});
    ASSERT_TRUE(store.ok());
    std::string key(8, '\0');
    key[7] = 33;
    ASSERT_TRUE((*store)->db()->Delete(rocksdb::WriteOptions(), (*store)->log_family(), key).ok());
  }
  Start();
  auto r = Verify(Export());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("offset 33 expected here but found 34"), std::string::npos) << r.problem;
}

TEST_F(AuditTest, ABrokerRolledBackToAnOlderCopyFailsTheConsistencyCheck) {
  Publish(100, "a");
  Stop();
  fs::copy(dir_.Sub("data"), dir_.Sub("backup"), fs::copy_options::recursive);
  Start();
  Publish(50, "b");
  node::CheckpointReply seen;
  {
    auto auditor = Connect("vn-node");  // any node may hold checkpoints
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint();
    ASSERT_TRUE(cp.ok()) << cp.error().message;
    ASSERT_EQ(cp->parsed.size, 150u);
    seen = *cp;
  }
  // The honest next checkpoint extends it.
  Publish(10, "c");
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint(seen.parsed.size);
    ASSERT_TRUE(cp.ok());
    EXPECT_TRUE(node::CheckExtends(seen.parsed, *cp).ok());
  }
  // The broker is restored from the older copy, and the history diverges.
  Stop();
  fs::remove_all(dir_.Sub("data"));
  fs::rename(dir_.Sub("backup"), dir_.Sub("data"));
  Start();
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint(seen.parsed.size);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->parsed.size, 100u);
    auto s = node::CheckExtends(seen.parsed, *cp);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("ROLLBACK"), std::string::npos) << s.error().message;
  }
  Publish(80, "d");  // now longer than what the node saw, but another history
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint(seen.parsed.size);
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->parsed.size, 180u);
    auto s = node::CheckExtends(seen.parsed, *cp);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("INCONSISTENT"), std::string::npos) << s.error().message;
  }
}

TEST_F(AuditTest, ReplaysAndDeliveriesAreInTheConsultationLogWithTheirJustification) {
  auto offsets = Publish(9);
  // Cambodia receives its inbox: deliveries are disclosures.
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  ASSERT_EQ(testutil::ReceiveDeliveries(*kh, "inbox", 9, 5s).size(), 9u);

  auto auditor = Connect("audit-node");
  // Without a justification: refused.
  proto::ControlT c;
  proto::ReplayT replay;
  replay.replay_id = 7;
  c.command.Set(replay);
  ASSERT_TRUE(auditor->SendControl(wire::EncodeControl(c)).ok());
  int code = -1;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (code < 0 && std::chrono::steady_clock::now() < deadline) {
    auto in = auditor->Receive(testutil::Remaining(deadline));
    if (in.ok() && in->has_value() && (*in)->command == proto::Command::Error) {
      code = (*in)->control()->command_as_Error()->code();
    }
  }
  EXPECT_EQ(code, static_cast<int>(wire::errc::justification_required));
  // With one: served, and recorded.
  replay.replay_id = 8;
  replay.justification = "inspection CASE-REVIEW-42";
  replay.case_id = "TH-AUD-3";
  c.command.Set(replay);
  ASSERT_TRUE(auditor->SendControl(wire::EncodeControl(c)).ok());
  EXPECT_EQ(testutil::ReceiveDeliveries(*auditor, "", 3, 5s, 8).size(), 3u);

  node::AuditClient client(auditor.get());
  auto records = client.Access("TH-AUD-3", "who saw case TH-AUD-3 (test)");
  ASSERT_TRUE(records.ok()) << records.error().message;
  bool delivered_to_kh = false;
  bool replayed_with_justification = false;
  bool listing_recorded = false;
  for (const auto& bytes : *records) {
    const auto* r = fb::GetAccessRecord(bytes.data());
    if (r->action() == fb::AccessAction::Delivered && r->node_id()->str() == "kh-node") {
      delivered_to_kh = true;
    }
    if (r->action() == fb::AccessAction::Replayed && r->justification() &&
        r->justification()->str() == "inspection CASE-REVIEW-42") {
      replayed_with_justification = true;
      EXPECT_EQ(r->offsets()->size(), 3u);
    }
    if (r->action() == fb::AccessAction::AccessListed) listing_recorded = true;
  }
  EXPECT_TRUE(delivered_to_kh);
  EXPECT_TRUE(replayed_with_justification);
  EXPECT_TRUE(listing_recorded);

  // The consultation log is in the checkpoint's second tree.
  auto cp = client.Checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_GE(cp->parsed.access_size, 3u);

  // One event's proof, checked on this side.
  auto proved = client.Prove(wire::EventId::FromFb(*testutil::RecordEvent(
                                 **broker_->broker().store().ReadRecord(offsets[4]))->id()).ToString(),
                             "spot check (test)");
  ASSERT_TRUE(proved.ok()) << proved.error().message;
  EXPECT_EQ(proved->offset, offsets[4]);
  EXPECT_TRUE(proved->verified);
}

TEST_F(AuditTest, ProofsAndAccessListingsNeedTheAuditPermission) {
  Publish(3);
  auto th = Connect("th-node");
  node::AuditClient client(th.get());
  auto access = client.Access("", "curious");
  ASSERT_FALSE(access.ok());
  EXPECT_EQ(access.error().code, wire::errc::permission_denied);
  std::ostringstream out;
  auto exported = client.Export({}, "curious", out, audit::ExportFormat::kJsonLines);
  ASSERT_FALSE(exported.ok());
  EXPECT_EQ(exported.error().code, wire::errc::permission_denied);
}

TEST_F(AuditTest, TheCliVerifiesAnExportAndFailsOnATamperedOne) {
  Publish(20);
  std::string text = Export();
  std::ofstream(dir_.Sub("good.jsonl")) << text;
  auto lines = Lines(text);
  lines.erase(lines.begin() + 3);
  std::ofstream(dir_.Sub("bad.jsonl")) << Join(lines);
  std::string cli = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas";
  std::string key = dir_.Sub("data") + "/audit-signing.key.pub";
  auto run = [&](const std::string& file) {
    std::string cmd = cli + " audit verify " + file + " --broker-key " + key + " > " +
                      dir_.Sub("out.txt") + " 2>&1";
    int status = std::system(cmd.c_str());
    return WEXITSTATUS(status);
  };
  EXPECT_EQ(run(dir_.Sub("good.jsonl")), 0);
  EXPECT_EQ(run(dir_.Sub("bad.jsonl")), 1);
  std::ifstream out(dir_.Sub("out.txt"));
  std::string printed((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(printed.find("offset 3 expected here but found 4"), std::string::npos) << printed;
}

// Issue 15: nodes pin the broker's signing key; a broker started with another
// key file than the one that signed its checkpoints must not start at all.
TEST_F(AuditTest, ABrokerWhoseSigningKeyDidNotSignItsCheckpointsRefusesToStart) {
  Publish(5);
  Stop();  // signs a checkpoint at shutdown
  fs::remove(dir_.Sub("data") + "/audit-signing.key");
  fs::remove(dir_.Sub("data") + "/audit-signing.key.pub");  // a new key is made at start
  try {
    Start();
    FAIL() << "the broker started with a key that did not sign its checkpoints";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not sign this broker's stored checkpoints"), std::string::npos)
        << e.what();
  }
}

// Issue 15: a truncated broker keeps serving its last honest checkpoint (the
// damage shows against it), refuses publishes with a stable code, and takes
// them again only once its operator restarts it with --accept-damaged-log.
TEST_F(AuditTest, ATruncatedBrokerServesItsLastHonestCheckpointAndRefusesPublishes) {
  Publish(120);
  node::CheckpointReply honest;
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint();
    ASSERT_TRUE(cp.ok()) << cp.error().message;
    ASSERT_EQ(cp->parsed.size, 120u);
    honest = *cp;
  }
  Stop();
  {  // the last 20 records are cut off the log
    auto store = store::RocksDbStore::Open({dir_.Sub("data")});
    ASSERT_TRUE(store.ok());
    for (int offset = 101; offset <= 120; ++offset) {
      std::string key(8, '\0');
      key[7] = static_cast<char>(offset);
      ASSERT_TRUE((*store)->db()->Delete(rocksdb::WriteOptions(), (*store)->log_family(), key).ok());
    }
  }
  Start();
  {
    auto auditor = Connect("vn-node");
    node::AuditClient client(auditor.get());
    auto cp = client.Checkpoint(honest.parsed.size);
    ASSERT_TRUE(cp.ok()) << cp.error().message;  // served, not "internal"
    EXPECT_EQ(cp->checkpoint.body, honest.checkpoint.body);
    EXPECT_TRUE(audit::VerifySignature(cp->checkpoint.body, cp->checkpoint.signature, BrokerKey()));
  }
  {
    auto auditor = Connect("audit-node");
    node::AuditClient client(auditor.get());
    std::ostringstream out;
    auto n = client.Export({}, "inspection of a damaged broker", out, audit::ExportFormat::kJsonLines);
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("fewer than the 120 of its last signed checkpoint"), std::string::npos)
        << n.error().message;
  }
  PublishRefused(3);
  // The operator accepts the damage: a new history is signed, publishes go.
  Stop();
  auto config = testutil::TestConfig(dir_.Sub("data"));
  config.audit_accept_damage = true;
  broker_ = std::make_unique<testutil::InProcessBroker>(config);
  auto offsets = Publish(2, "after");
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0], 101u);
  // The new history is the one checked from now on; the old checkpoints are
  // kept aside as evidence.
  Stop();
  Start();
  EXPECT_EQ(Publish(1, "later")[0], 103u);
}

// Issue 15, split view: two brokers started from one data directory and fed
// different events sign checkpoints of one size with different roots; two
// saved exports prove it offline (`lintas audit compare`), while an export
// and a later one of the same broker are consistent.
TEST_F(AuditTest, TwoForksOfOneDataDirectoryAreProvenByComparingTheirExports) {
  Publish(10, "common");
  Stop();
  fs::copy(dir_.Sub("data"), dir_.Sub("fork"), fs::copy_options::recursive);
  Start();
  Publish(5, "a");
  std::ofstream(dir_.Sub("a.jsonl")) << Export();
  Publish(3, "a-later");
  std::ofstream(dir_.Sub("a-later.jsonl")) << Export();
  Stop();
  fs::remove_all(dir_.Sub("data"));
  fs::rename(dir_.Sub("fork"), dir_.Sub("data"));
  Start();
  Publish(5, "b");
  std::ofstream(dir_.Sub("b.jsonl")) << Export();
  std::string key = dir_.Sub("data") + "/audit-signing.key.pub";
  auto compare = [&](const std::string& x, const std::string& y) {
    std::string cmd = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas audit compare " + dir_.Sub(x) + " " +
                      dir_.Sub(y) + " --broker-key " + key + " > " + dir_.Sub("compare.txt") + " 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream in(dir_.Sub("compare.txt"));
    std::string printed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WEXITSTATUS(status), printed);
  };
  auto [same_rc, same] = compare("a.jsonl", "a-later.jsonl");
  EXPECT_EQ(same_rc, 0) << same;
  EXPECT_NE(same.find("CONSISTENT"), std::string::npos) << same;
  auto [fork_rc, fork] = compare("a.jsonl", "b.jsonl");
  EXPECT_EQ(fork_rc, 1) << fork;
  EXPECT_NE(fork.find("FORK"), std::string::npos) << fork;
  auto [later_rc, later] = compare("b.jsonl", "a-later.jsonl");  // sizes differ: the prefix is rebuilt
  EXPECT_EQ(later_rc, 1) << later;
  EXPECT_NE(later.find("FORK"), std::string::npos) << later;
}

}  // namespace
}  // namespace lintas
