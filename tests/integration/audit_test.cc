// The audit trail end to end: a real broker (real sockets, real RocksDB in a
// temporary directory), an auditor node exporting with proofs, offline
// verification, and every kind of tampering the issue names: a byte flipped
// in RocksDB, a record deleted, two swapped, a truncated tail, a checkpoint
// of another key, a broker rolled back to an older copy of its data.
#include <filesystem>
#include <fstream>
#include <set>
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

// Lines before the first event record other than the header: the
// consultation section of a version 2 export.
size_t AccessLines(const std::vector<std::string>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("{\"type\":\"record\"", 0) == 0) return i - 1;
  }
  return 0;
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
  const size_t k = AccessLines(lines);  // the consultation section
  ASSERT_EQ(lines.size(), 302u + k);  // header, consultation section, 300 records, end
  ASSERT_TRUE(Verify(Join(lines)).ok);

  auto deleted = lines;
  deleted.erase(deleted.begin() + 42 + k);  // the record at offset 42
  auto r = Verify(Join(deleted));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 43u);
  EXPECT_NE(r.problem.find("offset 42 expected here but found 43"), std::string::npos) << r.problem;

  auto swapped = lines;
  std::swap(swapped[10 + k], swapped[11 + k]);
  r = Verify(Join(swapped));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 11u + k);  // header on line 1, offset j on line j + 1 + k
  EXPECT_NE(r.problem.find("offset 10 expected here but found 11"), std::string::npos) << r.problem;

  auto truncated = std::vector<std::string>(lines.begin(), lines.begin() + 250 + k);
  r = Verify(Join(truncated));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;

  auto altered = lines;
  size_t at = altered[100 + k].find("\"record\":\"") + 40;
  altered[100 + k][at] = altered[100 + k][at] == 'A' ? 'B' : 'A';
  r = Verify(Join(altered));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 100u);

  // What a reader sees must be what the record says.
  auto forged = lines;
  size_t origin = forged[7 + k].find("\"origin\":\"THA/") + 10;
  forged[7 + k].replace(origin, 3, "KHM");
  r = Verify(Join(forged));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 7u);
  EXPECT_NE(r.problem.find("readable fields"), std::string::npos) << r.problem;

  // A line a JSON reader sees as a record but a lax parser would skip, and a
  // record relabelled as something else: both refused.
  auto hidden = lines;
  hidden.insert(hidden.begin() + 3 + k,
                R"({"type":"record","\u006fffset":3,"case_id":"FORGED","rec\u006frd":"AAAA","proof":[]})");
  EXPECT_FALSE(Verify(Join(hidden)).ok);
  auto relabelled = lines;
  relabelled[5 + k].replace(relabelled[5 + k].find("\"type\":\"record\""), 15, "\"type\":\"note\"  ");
  EXPECT_FALSE(Verify(Join(relabelled)).ok);

  // The unsigned header cannot turn a complete export into a "filtered" one
  // with a record removed.
  auto relaxed = lines;
  relaxed[0].replace(relaxed[0].find("\"complete\":true"), 15, "\"complete\":false");
  relaxed.erase(relaxed.begin() + 42 + k);
  relaxed.back() = "{\"type\":\"end\",\"count\":299}";
  r = Verify(Join(relaxed));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("names no filter"), std::string::npos) << r.problem;

  // Hostile header types are an error, not a crash.
  auto odd = lines;
  odd[0].replace(odd[0].find("\"version\":2"), 11, "\"version\":\"2\"");
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
  filtered.erase(filtered.begin() + 5 + AccessLines(filtered));
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
  EXPECT_EQ(r.line, 58u + r.access_records + 1);  // after the consultation section and its end line
}

// Regression: a stored record that no longer verifies was exported as a
// line with offset 0 and no fields; it is written as it is, under its offset.
TEST_F(AuditTest, ARecordThatNoLongerVerifiesIsExportedUnderItsOffsetAndNamed) {
  Publish(60);
  Stop();
  {
    auto store = store::RocksDbStore::Open({dir_.Sub("data")});
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::string key(8, '\0');
    key[7] = 33;
    ASSERT_TRUE((*store)->db()->Put(rocksdb::WriteOptions(), (*store)->log_family(), key, "not a record").ok());
  }
  Start();
  std::string text = Export();
  EXPECT_EQ(text.find("\"type\":\"record\",\"offset\":0,"), std::string::npos);
  EXPECT_NE(text.find("\"type\":\"record\",\"offset\":33,"), std::string::npos);
  auto r = Verify(text);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.offset, 33u) << r.problem;
  EXPECT_NE(r.problem.find("damaged"), std::string::npos) << r.problem;
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
    auto cp = client.Checkpoint(seen.parsed.size, seen.parsed.access_size);
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
    auto cp = client.Checkpoint(seen.parsed.size, seen.parsed.access_size);
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
    auto cp = client.Checkpoint(seen.parsed.size, seen.parsed.access_size);
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
  EXPECT_TRUE(records->problems.empty());
  for (const auto& proof : records->records) {
    const auto* r = fb::GetAccessRecord(proof.record.data());
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

// The consultation records that disclosed a case's events travel with its
// export, each with its proof in the consultation log's tree; a complete
// export carries every one. A tampered or removed one is named by seq.
TEST_F(AuditTest, ExportsCarryTheirConsultationRecordsWithProofsAndATamperedOneIsNamed) {
  Publish(9);
  auto kh = Connect("kh-node");
  ASSERT_TRUE(testutil::Subscribe(*kh, "inbox"));
  ASSERT_EQ(testutil::ReceiveDeliveries(*kh, "inbox", 9, 5s).size(), 9u);

  node::ExportFilter by_case;
  by_case.case_id = "TH-AUD-3";
  std::vector<std::string> lines = Lines(Export(by_case));
  auto r = Verify(Join(lines));
  ASSERT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 3u);
  EXPECT_GE(r.access_records, 1u);
  size_t access_line = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("\"type\":\"access\"") != std::string::npos &&
        lines[i].find("\"node_id\":\"kh-node\"") != std::string::npos &&
        lines[i].find("\"action\":\"Delivered\"") != std::string::npos) {
      access_line = i;
    }
  }
  ASSERT_NE(access_line, 0u) << "the delivery to kh-node is in the case's export";
  uint64_t seq = std::stoull(lines[access_line].substr(lines[access_line].find("\"seq\":") + 6));

  auto csv = Verify(Export(by_case, audit::ExportFormat::kCsv));
  EXPECT_TRUE(csv.ok) << csv.problem;
  EXPECT_GT(csv.access_records, r.access_records);  // the first export disclosed the case's events too

  // Its record altered: named by seq.
  auto altered = lines;
  size_t at = altered[access_line].find("\"record\":\"") + 30;
  altered[access_line][at] = altered[access_line][at] == 'A' ? 'B' : 'A';
  auto bad = Verify(Join(altered));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.access_seq, seq) << bad.problem;
  EXPECT_NE(bad.problem.find("consultation record " + std::to_string(seq)), std::string::npos) << bad.problem;

  // Its readable node changed: what a reader sees must be what it says.
  auto relabelled = lines;
  relabelled[access_line].replace(relabelled[access_line].find("\"node_id\":\"kh-node\""), 19,
                                  "\"node_id\":\"vn-node\"");
  bad = Verify(Join(relabelled));
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.problem.find("readable fields"), std::string::npos) << bad.problem;

  // Removed: the section's count says so.
  auto removed = lines;
  removed.erase(removed.begin() + static_cast<ptrdiff_t>(access_line));
  bad = Verify(Join(removed));
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.problem.find("consultation records were deleted"), std::string::npos) << bad.problem;

  // A complete export carries every consultation record; one removed (and
  // the count mended) is named.
  std::vector<std::string> full = Lines(Export());
  auto whole = Verify(Join(full));
  ASSERT_TRUE(whole.ok) << whole.problem;
  ASSERT_GE(whole.access_records, 3u);
  auto gap = full;
  gap.erase(gap.begin() + 2);  // consultation record 2
  for (auto& l : gap) {
    if (l.rfind("{\"type\":\"access-end\"", 0) == 0) {
      l = "{\"type\":\"access-end\",\"count\":" + std::to_string(whole.access_records - 1) + "}";
    }
  }
  bad = Verify(Join(gap));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.access_seq, 3u) << bad.problem;  // where the gap shows, as for event offsets
  EXPECT_NE(bad.problem.find("consultation record 2 expected here"), std::string::npos) << bad.problem;
}

// --agency / --country select at the broker what was routed to the party
// (a role resolved through the directory included), and only that is
// disclosed to the auditor and recorded as replayed.
TEST_F(AuditTest, AnAgencyExportHoldsTheRoleAddressedReferralsAndDisclosesNothingElse) {
  auto th = Connect("th-node");
  std::vector<std::string> events;
  for (int i = 0; i < 6; ++i) {
    fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), NowMicros());
    e.case_id = "TH-ROLE-" + std::to_string(i);
    auto& d = *e.destinations.at(0);
    if (i % 2 == 0) {  // to Cambodia's social welfare agency by role: kh-mosvy
      d.country = "KHM";
      d.agency.clear();
      d.role = fb::Role::SocialWelfare;
    } else {
      d.country = "VNM";
      d.agency = "vn-molisa";
      d.role = fb::Role::Unspecified;
    }
    events.push_back(testutil::PackEvent(e));
  }
  // And an alert distributed to Viet Nam, Indonesia and the Philippines.
  events.push_back(testutil::PackEvent(testutil::SampleEvent(fb::Body::AlertPublished, ids_.Next(), NowMicros())));
  std::set<uint64_t> to_kh;
  auto outcomes = testutil::PublishAndWait(*th, events, 30s);
  ASSERT_EQ(outcomes.size(), 7u);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(outcomes[i].acked) << outcomes[i].message;
    if (i % 2 == 0 && i < 6) to_kh.insert(outcomes[i].offset);
  }
  node::ExportFilter by_agency;
  by_agency.agency = "kh-mosvy";
  std::string text = Export(by_agency);
  auto r = Verify(text);
  ASSERT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.records, 3u);
  for (const auto& line : Lines(text)) {
    if (line.find("\"type\":\"record\"") == std::string::npos) continue;
    uint64_t offset = std::stoull(line.substr(line.find("\"offset\":") + 9));
    EXPECT_TRUE(to_kh.count(offset)) << line;
  }
  node::ExportFilter by_country;
  by_country.country = "VNM";
  auto vn = Verify(Export(by_country));
  EXPECT_TRUE(vn.ok) << vn.problem;
  EXPECT_EQ(vn.records, 4u);  // three addressed there, and the distributed alert
  // The agency export's replay disclosed the three referrals and nothing else.
  std::vector<std::pair<uint64_t, std::string>> records;
  ASSERT_TRUE(broker_->broker().store().ScanAccess(0, 10000, &records).ok());
  size_t replayed = 0;
  for (const auto& [seq, bytes] : records) {
    const auto* a = fb::GetAccessRecord(bytes.data());
    if (a->action() != fb::AccessAction::Replayed) continue;
    for (uint64_t o : *a->offsets()) {
      ++replayed;
      if (replayed <= 3) {
        EXPECT_TRUE(to_kh.count(o)) << "offset " << o << " disclosed to the agency export";
      }
    }
  }
  EXPECT_EQ(replayed, 7u);  // 3 for the agency export, 4 for the country export
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
  lines.erase(lines.begin() + 3 + AccessLines(lines));
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
