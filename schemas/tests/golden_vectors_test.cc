// Golden test vectors (tests/vectors/): encoded events and frames with their
// JSON, so that another implementation can prove interoperability. This test
// checks that the codec still produces exactly these bytes, still accepts
// them, and that their JSON still matches.
//
// Regenerate after a deliberate, compatible schema change with
//   LINTAS_WRITE_VECTORS=1 build/release/schemas/wire_test --gtest_filter='Golden*'
// and review the diff: a changed byte in an existing vector is a wire change.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lintas/wire/bytes.h"
#include "lintas/wire/frame.h"
#include "lintas/wire/json_codec.h"
#include "lintas/wire/record.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "testutil/sample_events.h"

namespace lintas::wire {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kCreatedAt = 1793491200000000;  // 2026-11-01T00:00:00Z

const fs::path kDir = fs::path(LINTAS_SOURCE_DIR) / "tests" / "vectors";

bool Writing() { return std::getenv("LINTAS_WRITE_VECTORS") != nullptr; }

// A fixed UUIDv7 for vector `n`.
EventId FixedId(uint8_t n) {
  return EventId({0x01, 0x9a, 0x3f, 0x2b, 0x48, 0x00, 0x70, n, 0x80, 0, 0, 0, 0, 0, 0x1d, n});
}


std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// One frame per line, hex.
std::vector<std::string> ReadFrames(const fs::path& path) {
  std::vector<std::string> frames;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) frames.push_back(FromHex(line));
  }
  return frames;
}

nlohmann::json ToJsonValue(JsonCodec& codec, std::string_view bytes) {
  auto json = codec.ToJson(AsBytes(bytes));
  EXPECT_TRUE(json.ok()) << json.error().message;
  return json.ok() ? nlohmann::json::parse(*json) : nlohmann::json();
}

// Checks (or writes) one buffer's JSON file and that the JSON parses back to
// a buffer with the same JSON.
void CheckJson(JsonCodec& codec, std::string_view bytes, const fs::path& json_path) {
  nlohmann::json value = ToJsonValue(codec, bytes);
  if (Writing()) {
    WriteFile(json_path, value.dump(2) + "\n");
    return;
  }
  ASSERT_TRUE(fs::exists(json_path)) << json_path;
  nlohmann::json golden = nlohmann::json::parse(ReadFile(json_path));
  EXPECT_EQ(value, golden) << json_path;
  auto rebuilt = codec.FromJson(golden.dump());
  ASSERT_TRUE(rebuilt.ok()) << json_path << ": " << rebuilt.error().message;
  EXPECT_EQ(ToJsonValue(codec, *rebuilt), golden) << json_path;
}

TEST(GoldenVectorsTest, EveryEventBodyType) {
  JsonCodec codec;
  uint8_t n = 0;
  for (fb::Body type : testutil::AllBodyTypes()) {
    std::string name = fb::EnumNameBody(type);
    SCOPED_TRACE(name);
    std::string produced =
        testutil::PackEvent(testutil::SampleEvent(type, FixedId(++n), kCreatedAt));
    fs::path hex_path = kDir / "events" / (name + ".hex");
    if (Writing()) {
      WriteFile(hex_path, ToHex(produced) + "\n");
    } else {
      ASSERT_TRUE(fs::exists(hex_path)) << hex_path;
      std::string golden = FromHex(ReadFile(hex_path));
      EXPECT_EQ(ToHex(produced), ToHex(golden)) << "the encoder no longer produces " << hex_path;
      auto event = VerifyEvent(AsBytes(golden));
      ASSERT_TRUE(event.ok()) << event.error().message;
      EXPECT_TRUE(ValidateEvent(**event).ok());
    }
    CheckJson(codec, produced, kDir / "events" / (name + ".json"));
  }
}

struct FrameVector {
  std::string name;
  std::vector<std::string> frames;
};

// Subscription answers, the session's end and the audit trail.
std::vector<FrameVector> MoreFrameVectors() {
  // A signed Ack (docs/AUDIT.md 2a): 64 receipt bytes per entry (event hash,
  // record leaf) and a signature; fixed patterns, the bytes are the test.
  std::vector<proto::AckEntry> signed_acks{{7, 1041, false}, {8, 998, true}};
  std::vector<uint8_t> receipt_hashes(2 * 64);
  for (size_t i = 0; i < receipt_hashes.size(); ++i) receipt_hashes[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> receipt_signature(64, 0x5a);
  proto::ControlT subscribed;
  proto::SubscribedT sd;
  sd.subscription = "alerts";
  sd.acked_offset = 1040;
  sd.has_acked = true;
  subscribed.command.Set(std::move(sd));

  proto::ControlT unsubscribe;
  proto::UnsubscribeT us;
  us.subscription = "alerts";
  us.remove = true;
  unsubscribe.command.Set(std::move(us));

  proto::ControlT goodbye;
  proto::GoodbyeT gb;
  gb.reason = "another connection said Hello as this node and replaced this one";
  gb.code = proto::GoodbyeCode::Replaced;
  goodbye.command.Set(std::move(gb));

  proto::ControlT audit_query;
  proto::AuditQueryT aq;
  aq.query_id = 1001;
  aq.kind = proto::AuditQueryKind::Checkpoint;
  aq.known_size = 1000;
  audit_query.command.Set(std::move(aq));

  proto::ControlT audit_query_access;
  proto::AuditQueryT aqa;
  aqa.query_id = 7;
  aqa.kind = proto::AuditQueryKind::Access;
  aqa.justification = "DPO request 2026-17";
  aqa.after = 0;
  aqa.case_id = "TH-2026-0192";
  audit_query_access.command.Set(std::move(aqa));

  // Fixed bytes: a vector shows the layout, not a real signature.
  proto::ControlT audit_reply;
  proto::AuditReplyT ar;
  ar.query_id = 1001;
  ar.checkpoint = "lintas-checkpoint/1\nasean-broker-1\n1041\n...\n";
  ar.signature.assign(64, 0x5a);
  ar.public_key.assign(32, 0x3c);
  ar.consistency.assign(64, 0xc3);
  audit_reply.command.Set(std::move(ar));

  proto::ControlT audit_reply_access;
  proto::AuditReplyT ara;
  ara.query_id = 7;
  ara.checkpoint = "lintas-checkpoint/1\nasean-broker-1\n1041\n...\n";
  ara.signature.assign(64, 0x5a);
  ara.public_key.assign(32, 0x3c);
  ara.more = false;
  ara.last_seq = 1;
  audit_reply_access.command.Set(std::move(ara));

  proto::ControlT audit_query_stats;
  proto::AuditQueryT aqs;
  aqs.query_id = 8;
  aqs.kind = proto::AuditQueryKind::Stats;
  aqs.justification = "Regional steering committee, Q4 2026 report";
  aqs.stats_by = {static_cast<uint8_t>(proto::StatsDimension::Origin),
                  static_cast<uint8_t>(proto::StatsDimension::Destination)};
  aqs.from_month = 202610;
  aqs.to_month = 202612;
  audit_query_stats.command.Set(std::move(aqs));

  proto::ControlT audit_reply_stats;
  proto::AuditReplyT ars;
  ars.query_id = 8;
  audit_reply_stats.command.Set(std::move(ars));
  // The StatsTable payload: one cell, one suppressed cell, and the totals
  // (THA's and the grand total withheld, as they include the small cell).
  proto::StatsTableT st;
  st.by = {static_cast<uint8_t>(proto::StatsDimension::Origin),
           static_cast<uint8_t>(proto::StatsDimension::Destination)};
  st.from_month = 202610;
  st.to_month = 202612;
  st.threshold = 5;
  auto cell = [](const char* origin, const char* destination, uint64_t count, bool suppressed, bool total) {
    auto c = std::make_unique<proto::StatsCellT>();
    c->origin_country = origin;
    c->destination_country = destination;
    c->count = count;
    c->suppressed = suppressed;
    c->total = total;
    return c;
  };
  st.cells.push_back(cell("THA", "KHM", 12, false, false));
  st.cells.push_back(cell("THA", "VNM", 0, true, false));
  st.cells.push_back(cell("", "KHM", 12, false, true));
  st.cells.push_back(cell("", "VNM", 0, true, true));
  st.cells.push_back(cell("THA", "", 0, true, true));
  st.cells.push_back(cell("", "", 0, true, true));
  flatbuffers::FlatBufferBuilder stats_fbb;
  stats_fbb.Finish(proto::StatsTable::Pack(stats_fbb, &st), "LNTS");
  std::string stats(reinterpret_cast<const char*>(stats_fbb.GetBufferPointer()), stats_fbb.GetSize());

  fb::AccessRecordT ac;
  ac.seq = 1;
  ac.time_us = kCreatedAt + 3000;
  ac.node_id = "kh-node-1";
  ac.country = "KHM";
  ac.action = fb::AccessAction::Delivered;
  ac.subscription = "inbox";
  ac.offsets = {1041};
  flatbuffers::FlatBufferBuilder access_fbb;
  access_fbb.Finish(fb::AccessRecord::Pack(access_fbb, &ac), fb::AccessRecordIdentifier());
  std::string access(reinterpret_cast<const char*>(access_fbb.GetBufferPointer()),
                     access_fbb.GetSize());
  // seq 1, record length, the record, one 32-byte hash of its path.
  std::string access_proof("\0\0\0\0\0\0\0\x01", 8);
  for (int shift = 24; shift >= 0; shift -= 8) access_proof.push_back(static_cast<char>(access.size() >> shift));
  access_proof += access + std::string(32, '\x77');

  // The consultation log held to the event log's standard (docs/AUDIT.md
  // 3, 3a): a node's check of its own consultation records, and the
  // broker's reply (a record with its path; fixed bytes for the path).
  proto::ControlT audit_query_access_check;
  proto::AuditQueryT aqc;
  aqc.query_id = (uint64_t{1} << 62) | 3;
  aqc.kind = proto::AuditQueryKind::AccessCheck;
  aqc.after = 16;
  aqc.tree_size = 40;
  audit_query_access_check.command.Set(std::move(aqc));

  proto::ControlT audit_reply_access_check;
  proto::AuditReplyT arc;
  arc.query_id = (uint64_t{1} << 62) | 3;
  arc.checkpoint = "lintas-checkpoint/1\nasean-broker-1\n1041\n...\n";
  arc.signature.assign(64, 0x5a);
  arc.public_key.assign(32, 0x3c);
  arc.last_seq = 40;
  arc.access_missing = {18};
  arc.access_altered = {17};
  audit_reply_access_check.command.Set(std::move(arc));

  // Witnessed checkpoints (docs/AUDIT.md 3b): a node's co-signature of the
  // checkpoint it holds, and the broker's reply with another node's, its
  // consistency proofs (fixed bytes for the hashes and signatures).
  auto cosigned = [](const char* node, uint8_t fill) {
    auto c = std::make_unique<proto::CosignedCheckpointT>();
    c->node = node;
    c->checkpoint = "lintas-checkpoint/1\nlog_id asean-broker-1\nsize 1041\n...\n";
    c->checkpoint_signature.assign(64, 0x5a);
    c->witness_key.assign(32, fill);
    c->witness_signature.assign(64, static_cast<uint8_t>(fill + 1));
    c->time_us = kCreatedAt + 4000;
    return c;
  };
  proto::ControlT audit_query_witness;
  proto::AuditQueryT aqw;
  aqw.query_id = (uint64_t{1} << 60) | 1;
  aqw.kind = proto::AuditQueryKind::Witness;
  aqw.witness = cosigned("th-node-1", 0x21);
  audit_query_witness.command.Set(std::move(aqw));
  proto::ControlT audit_reply_witness;
  proto::AuditReplyT arw;
  arw.query_id = (uint64_t{1} << 60) | 1;
  arw.checkpoint = "lintas-checkpoint/1\nasean-broker-1\n1041\n...\n";
  arw.signature.assign(64, 0x5a);
  arw.public_key.assign(32, 0x3c);
  audit_reply_witness.command.Set(std::move(arw));
  auto peer = cosigned("kh-node-1", 0x41);
  peer->consistency.assign(64, 0x66);
  peer->access_consistency.assign(32, 0x67);
  flatbuffers::FlatBufferBuilder witness_fbb;
  witness_fbb.Finish(proto::CosignedCheckpoint::Pack(witness_fbb, peer.get()), "LNTW");
  std::string witness(reinterpret_cast<const char*>(witness_fbb.GetBufferPointer()), witness_fbb.GetSize());

  return {
      {"audit_query_witness", {EncodeControl(audit_query_witness)}},
      {"audit_reply_witness", {EncodeControl(audit_reply_witness), witness}},
      {"subscribed", {EncodeControl(subscribed)}},
      {"unsubscribe", {EncodeControl(unsubscribe)}},
      {"goodbye", {EncodeControl(goodbye)}},
      {"audit_query", {EncodeControl(audit_query)}},
      {"audit_query_access", {EncodeControl(audit_query_access)}},
      {"audit_reply", {EncodeControl(audit_reply)}},
      {"audit_reply_access", {EncodeControl(audit_reply_access), access}},
      {"audit_query_stats", {EncodeControl(audit_query_stats)}},
      {"ack_signed", {EncodeAck(signed_acks, receipt_hashes, kCreatedAt + 3000, receipt_signature)}},
      {"audit_query_access_check", {EncodeControl(audit_query_access_check)}},
      {"audit_reply_access_check", {EncodeControl(audit_reply_access_check), access_proof}},
      {"audit_reply_stats", {EncodeControl(audit_reply_stats), stats}},
  };
}

std::vector<FrameVector> FrameVectors() {
  std::string event =
      testutil::PackEvent(testutil::SampleEvent(fb::Body::ReferralCreated, FixedId(1), kCreatedAt));
  std::string record = EncodeRecord(1041, kCreatedAt + 2500,
                                    PublisherInfo{"th-node-1", "THA", ""}, AsBytes(event));
  std::vector<proto::AckEntry> acks{{7, 1041, false}, {8, 998, true}};
  std::vector<uint64_t> offsets{1041};

  proto::ControlT ready;
  proto::ReadyT r;
  r.version = 1;
  r.broker_id = "asean-broker-1";
  r.heartbeat_ms = 1000;
  r.max_message_bytes = 8 * 1024 * 1024;
  r.max_batch = 256;
  r.credit_window = 1024;
  ready.command.Set(std::move(r));

  proto::ControlT subscribe;
  proto::SubscribeT s;
  s.subscription = "alerts";
  s.filter = std::make_unique<proto::FilterT>();
  s.filter->origin_countries = {"IDN"};
  s.filter->body_types = {static_cast<uint8_t>(fb::Body::AlertPublished),
                          static_cast<uint8_t>(fb::Body::AlertCancelled)};
  s.filter->alert_categories = {static_cast<uint8_t>(fb::AlertCategory::RecruitmentScam)};
  s.credit = 1024;
  subscribe.command.Set(std::move(s));

  proto::ControlT subscribe_packed;
  proto::SubscribeT sp;
  sp.subscription = "inbox";
  sp.credit = 4096;
  sp.packed = true;
  subscribe_packed.command.Set(std::move(sp));

  // A packed Deliver: two records in one frame, the second 8-aligned.
  std::string second = EncodeRecord(1042, kCreatedAt + 2600, PublisherInfo{"th-node-1", "THA", ""},
                                    AsBytes(event));
  std::string packed = record;
  packed.resize(PackedRecordStart(packed.size()), '\0');
  packed += second;
  std::vector<uint64_t> packed_offsets{1041, 1042};
  // A packed Publish: this event and a second, in one frame.
  std::string second_event = testutil::PackEvent(
      testutil::SampleEvent(fb::Body::ReferralCreated, FixedId(2), kCreatedAt + 100));
  std::vector<uint32_t> packed_event_sizes{static_cast<uint32_t>(event.size()),
                                           static_cast<uint32_t>(second_event.size())};
  std::string packed_events = event;
  packed_events.resize(PackedRecordStart(packed_events.size()), '\0');
  packed_events += second_event;
  std::vector<uint32_t> packed_sizes{static_cast<uint32_t>(record.size()),
                                     static_cast<uint32_t>(second.size())};

  proto::ControlT replay;
  proto::ReplayT rp;
  rp.replay_id = 1;
  rp.case_id = "TH-2026-0192";
  rp.justification = "DPO request 2026-17";
  rp.credit = 256;
  replay.command.Set(std::move(rp));

  proto::ControlT replay_party;
  proto::ReplayT rpp;
  rpp.replay_id = 2;
  rpp.from_offset = 1;
  rpp.to_offset = 1041;
  rpp.party_agency = "kh-mosvy";
  rpp.justification = "DPO request 2026-17";
  rpp.credit = 256;
  replay_party.command.Set(std::move(rpp));

  proto::ControlT replay_end;
  proto::ReplayEndT re;
  re.replay_id = 1;
  re.count = 12;
  re.last_offset = 1041;
  replay_end.command.Set(std::move(re));

  return {
      {"hello", {EncodeHello("th-node-1", "THA", "lintas-node/0.1.0")}},
      {"ready", {EncodeControl(ready)}},
      {"publish", {EncodePublish(7), event}},
      {"publish_packed", {EncodePublish(7, packed_event_sizes), packed_events}},
      {"ack", {EncodeAck(acks)}},
      {"nack", {EncodeNack(9, Error{errc::origin_mismatch,
                                    "origin.country: KHM is not the authenticated node's country",
                                    "origin.country"})}},
      {"subscribe", {EncodeControl(subscribe)}},
      {"deliver", {EncodeDeliver("inbox", 0, offsets), record}},
      {"subscribe_packed", {EncodeControl(subscribe_packed)}},
      {"deliver_packed", {EncodeDeliver("inbox", 0, packed_offsets, packed_sizes), packed}},
      {"delivery_ack", {EncodeDeliveryAck("inbox", 1041)}},
      {"credit", {EncodeCredit("inbox", 0, 256)}},
      {"replay", {EncodeControl(replay)}},
      {"replay_party", {EncodeControl(replay_party)}},
      {"replay_end", {EncodeControl(replay_end)}},
      {"heartbeat", {EncodeHeartbeat(kCreatedAt)}},
      {"error", {EncodeError(errc::not_ready, "send Hello before any other command")}},
  };
}

std::vector<FrameVector> AllFrameVectors() {
  std::vector<FrameVector> all = FrameVectors();
  for (auto& v : MoreFrameVectors()) all.push_back(std::move(v));
  return all;
}

TEST(GoldenVectorsTest, EveryFrameKind) {
  JsonCodec control_codec(SchemaKind::kControl);
  JsonCodec record_codec(SchemaKind::kRecord);
  JsonCodec access_codec(SchemaKind::kAccess);
  std::set<std::string> commands;
  for (const FrameVector& v : AllFrameVectors()) {
    SCOPED_TRACE(v.name);
    fs::path hex_path = kDir / "frames" / (v.name + ".hex");
    if (Writing()) {
      std::string text;
      for (const auto& f : v.frames) text += ToHex(f) + "\n";
      WriteFile(hex_path, text);
    } else {
      ASSERT_TRUE(fs::exists(hex_path)) << hex_path;
      std::vector<std::string> golden = ReadFrames(hex_path);
      ASSERT_EQ(golden.size(), v.frames.size());
      for (size_t i = 0; i < golden.size(); ++i) {
        EXPECT_EQ(ToHex(v.frames[i]), ToHex(golden[i])) << "frame " << i;
      }
      std::vector<std::span<const uint8_t>> views;
      for (const auto& f : golden) views.push_back(AsBytes(f));
      auto decoded = DecodeMessage(views);
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      EXPECT_EQ(CommandName(decoded->command),
                nlohmann::json::parse(ReadFile(kDir / "frames" / (v.name + ".json")))["command_type"]
                    .get<std::string>());
    }
    CheckJson(control_codec, v.frames[0], kDir / "frames" / (v.name + ".json"));
    if (v.name == "deliver") {
      CheckJson(record_codec, v.frames[1], kDir / "frames" / "deliver.record.json");
    }
    if (v.name == "audit_reply_access") {
      CheckJson(access_codec, v.frames[1], kDir / "frames" / "audit_reply_access.record.json");
    }
    commands.insert(std::string(CommandName(proto::GetControl(v.frames[0].data())->command_type())));
  }
  // PROTOCOL.md section 1 promises a vector of every frame kind.
  for (auto command : proto::EnumValuesCommand()) {
    if (command == proto::Command::NONE) continue;
    EXPECT_TRUE(commands.count(std::string(CommandName(command)))) << "no vector for " << CommandName(command);
  }
}

}  // namespace
}  // namespace lintas::wire
