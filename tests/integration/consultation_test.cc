// The broker's consultation log held to the event log's standard, end to
// end: a real broker (real sockets, RocksDB in a temporary directory), real
// nodes, and the consultation log edited in RocksDB while the broker is
// stopped (a record's node changed, a record deleted). Each is named by the
// nodes (security alarm in /v1/health) and by `lintas audit verify` of a
// case export, which carries the case's consultation records with proofs.
#include <rocksdb/db.h>

#include <sstream>

#include "lintas/audit/export_format.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/node/audit_client.h"
#include "lintas/store/rocksdb_store.h"
#include "node_fixture.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace nodetest;

std::string SeqKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>(seq >> (8 * i));
  return key;
}

class ConsultationTest : public NodeTest {
 protected:
  // th-node refers case `case_id` to Cambodia; kh-node receives it. Returns
  // the seq of the consultation record of that delivery to kh-node.
  uint64_t ReferAndDeliver(const std::string& case_id) {
    StartBroker();
    th_ = StartNode("th-node", &th_port_);
    kh_ = StartNode("kh-node", &kh_port_);
    Http api(th_port_, TokenOf("th-node"));
    auto [status, body] = api.Post("/v1/events", Referral(case_id).dump());
    EXPECT_EQ(status, 202) << body.dump();
    uint64_t seq = 0;
    EXPECT_TRUE(Eventually([&] {
      seq = DeliveredTo("kh-node");
      return seq != 0;
    }));
    // kh-node's receipt delivered back to th-node: a later record.
    EXPECT_TRUE(Eventually([&] { return DeliveredTo("th-node") > seq; }));
    return seq;
  }

  // The seq of the first Delivered record naming `node` in the broker's
  // consultation log (0: none yet).
  uint64_t DeliveredTo(const std::string& node) {
    std::vector<std::pair<uint64_t, std::string>> records;
    if (!broker_->broker().store().ScanAccess(0, 10000, &records).ok()) return 0;
    for (const auto& [seq, bytes] : records) {
      const auto* r = fb::GetAccessRecord(bytes.data());
      if (r->action() == fb::AccessAction::Delivered && r->node_id()->str() == node) return seq;
    }
    return 0;
  }

  // Stops the broker (it signs a last checkpoint), edits its consultation
  // log, starts it again.
  void Tamper(const std::function<void(store::RocksDbStore&)>& edit) {
    broker_.reset();
    {
      auto store = store::RocksDbStore::Open({dir_.Sub("broker-data")});
      ASSERT_TRUE(store.ok()) << store.error().message;
      edit(**store);
    }
    StartBroker();
  }

  std::string AlarmOf(int port, const std::string& node) {
    auto [status, body] = Http(port, TokenOf(node)).Get("/v1/health");
    if (status != 200 || !body.is_object() || !body["audit_alarm"].is_string()) return "";
    return body["audit_alarm"].get<std::string>();
  }

  // A case export by the auditor identity, and its verification. The
  // export's own complaints (naming the records) go to `problems`.
  audit::VerifyReport ExportCase(const std::string& case_id, std::vector<std::string>* problems,
                                 std::string* text) {
    zmq::context_t ctx;
    node::BrokerClient auditor(ctx, testutil::NodeOptions(BrokerEndpoint(), "audit-node"));
    EXPECT_TRUE(auditor.Connect().ok());
    node::AuditClient client(&auditor);
    std::ostringstream out;
    node::ExportFilter filter;
    filter.case_id = case_id;
    auto n = client.Export(filter, "DPA inspection 2026/14 (test)", out, audit::ExportFormat::kJsonLines,
                           problems);
    EXPECT_TRUE(n.ok()) << n.error().message;
    *text = out.str();
    auto key = audit::LoadPublicKey(dir_.Sub("broker-data") + "/audit-signing.key.pub");
    EXPECT_TRUE(key.ok());
    std::istringstream in(*text);
    return audit::VerifyExport(in, *key);
  }

  int th_port_ = 0;
  int kh_port_ = 0;
  std::unique_ptr<node::Node> th_;
  std::unique_ptr<node::Node> kh_;
};

TEST_F(ConsultationTest, ARecordWhoseNodeWasChangedInRocksDbIsNamedByTheNodes) {
  uint64_t seq = ReferAndDeliver("TH-CONS-FORGED");
  ASSERT_NE(seq, 0u);
  Tamper([&](store::RocksDbStore& store) {
    std::string bytes;
    ASSERT_TRUE(store.db()->Get(rocksdb::ReadOptions(), store.access_family(), SeqKey(seq), &bytes).ok());
    size_t at = bytes.find("kh-node");
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, 7, "vn-node");  // same length: still a valid record, now a lie
    ASSERT_TRUE(store.db()->Put(rocksdb::WriteOptions(), store.access_family(), SeqKey(seq), bytes).ok());
  });
  std::string needle = "consultation record(s) " + std::to_string(seq);
  std::string alarm;
  EXPECT_TRUE(Eventually([&] {
    alarm = AlarmOf(kh_port_, "kh-node");
    return alarm.find(needle) != std::string::npos;
  })) << alarm;
  EXPECT_NE(alarm.find("altered"), std::string::npos) << alarm;
  EXPECT_TRUE(Eventually([&] { return AlarmOf(th_port_, "th-node").find(needle) != std::string::npos; }));

  // The case's export carries the forged record as it is; verification
  // names it, and so does `lintas audit verify`.
  std::vector<std::string> problems;
  std::string text;
  auto report = ExportCase("TH-CONS-FORGED", &problems, &text);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.access_seq, seq) << report.problem;
  EXPECT_NE(report.problem.find("does not match the signed consultation log"), std::string::npos) << report.problem;
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("consultation record " + std::to_string(seq)), std::string::npos) << problems[0];
  std::ofstream(dir_.Sub("forged.jsonl")) << text;
  std::string cmd = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas audit verify " + dir_.Sub("forged.jsonl") +
                    " --broker-key " + dir_.Sub("broker-data") + "/audit-signing.key.pub > " +
                    dir_.Sub("verify.txt") + " 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::ifstream printed_in(dir_.Sub("verify.txt"));
  std::string printed((std::istreambuf_iterator<char>(printed_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(printed.find("(consultation record " + std::to_string(seq) + ")"), std::string::npos) << printed;

  // `lintas audit access` shows only what verifies, and names the rest.
  std::string config = dir_.Sub("audit-node.toml");
  std::ofstream(config) << "[node]\nid = \"audit-node\"\ncountry = \"ASE\"\ndata_dir = \""
                        << dir_.Sub("audit-node-data") << "\"\n[broker]\nendpoint = \"" << BrokerEndpoint()
                        << "\"\n[security]\nmode = \"plaintext\"\n";
  cmd = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas audit access --config " + config +
        " --justification 'who saw TH-CONS-FORGED (test)' --case TH-CONS-FORGED --broker-key " +
        dir_.Sub("broker-data") + "/audit-signing.key.pub > " + dir_.Sub("access.txt") + " 2>&1";
  status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::ifstream access_in(dir_.Sub("access.txt"));
  std::string listed((std::istreambuf_iterator<char>(access_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(listed.find("NOT VERIFIED (not shown): consultation record " + std::to_string(seq)), std::string::npos)
      << listed;
  EXPECT_NE(listed.find("each verified against the signed consultation log"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("vn-node"), std::string::npos) << "the forged record is not shown: " << listed;
}

TEST_F(ConsultationTest, ADeletedRecordIsNamedByTheNodes) {
  uint64_t seq = ReferAndDeliver("TH-CONS-DELETED");
  ASSERT_NE(seq, 0u);
  Tamper([&](store::RocksDbStore& store) {
    ASSERT_TRUE(store.db()->Delete(rocksdb::WriteOptions(), store.access_family(), SeqKey(seq)).ok());
  });
  std::string needle = "lost record(s) " + std::to_string(seq);
  std::string alarm;
  EXPECT_TRUE(Eventually([&] {
    alarm = AlarmOf(kh_port_, "kh-node");
    return alarm.find(needle) != std::string::npos;
  })) << alarm;
  EXPECT_TRUE(Eventually([&] { return AlarmOf(th_port_, "th-node").find(needle) != std::string::npos; }));

  // The export says where the record was, and does not verify.
  std::vector<std::string> problems;
  std::string text;
  auto report = ExportCase("TH-CONS-DELETED", &problems, &text);
  EXPECT_NE(text.find("{\"type\":\"access-missing\",\"seq\":" + std::to_string(seq) + "}"), std::string::npos);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.access_seq, seq) << report.problem;
  EXPECT_NE(report.problem.find("is missing"), std::string::npos) << report.problem;
}

}  // namespace
}  // namespace lintas
