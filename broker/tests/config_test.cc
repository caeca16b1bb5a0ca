// Configuration: the example parses, and every mistake is refused with a
// message that names the field.
#include "lintas/broker/config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lintas/broker/directory.h"
#include "lintas/broker/revocations.h"
#include "testutil/temp_dir.h"

namespace lintas::broker {
namespace {

const std::string kCsv = std::string(LINTAS_SOURCE_DIR) + "/ops/directory/agencies.csv";

std::string Base(const std::string& extra, const std::string& endpoint = "tcp://127.0.0.1:7400") {
  return "[broker]\ndata_dir = \"/tmp/x\"\nendpoint = \"" + endpoint +
         "\"\n[security]\nmode = \"plaintext\"\n[directory]\nagencies_csv = \"" + kCsv + "\"\n" +
         extra;
}

std::string ErrorOf(const std::string& text) {
  try {
    ParseConfig(text, "/");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, ExampleConfigParses) {
  BrokerConfig c = LoadConfig(std::string(LINTAS_SOURCE_DIR) + "/ops/broker.example.toml");
  EXPECT_EQ(c.endpoint, "tcp://127.0.0.1:7400");
  EXPECT_EQ(c.heartbeat_ms, 1000u);
  EXPECT_EQ(c.security, SecurityMode::kPlaintext);
  ASSERT_EQ(c.nodes.size(), 4u);
  EXPECT_EQ(c.nodes[1].id, "kh-node");
  // Default: every agency of the node's country.
  EXPECT_EQ(c.nodes[1].agencies,
            (std::vector<std::string>{"kh-ahtjp", "kh-mosvy", "kh-ncct", "kh-lscw"}));
  EXPECT_TRUE(c.nodes[3].can_audit);
  EXPECT_FALSE(c.nodes[3].can_publish);
  EXPECT_EQ(c.agencies.size(), 32u);
}

TEST(ConfigTest, UnknownKeyIsRefusedByName) {
  EXPECT_NE(ErrorOf(Base("") + "[broker2]\n").find("unknown key 'broker2'"), std::string::npos);
  EXPECT_NE(ErrorOf("[broker]\ndata_dir=\"/x\"\nheartbeat = 5\n").find("heartbeat"),
            std::string::npos);
}

TEST(ConfigTest, DataDirIsRequired) {
  EXPECT_NE(ErrorOf("[security]\nmode = \"plaintext\"\n").find("broker.data_dir"),
            std::string::npos);
}

TEST(ConfigTest, CurveIsTheDefaultAndNeedsKeys) {
  std::string e = ErrorOf("[broker]\ndata_dir = \"/x\"\n");
  EXPECT_NE(e.find("security.secret_key_file"), std::string::npos) << e;
  e = ErrorOf("[broker]\ndata_dir = \"/x\"\n[security]\nsecret_key_file = \"/k\"\n"
              "[directory]\nagencies_csv = \"" + kCsv + "\"\n[[nodes]]\nid = \"th-node\"\n"
              "country = \"THA\"\n");
  EXPECT_NE(e.find("nodes[0].public_key"), std::string::npos) << e;
}

TEST(ConfigTest, PlaintextIsRefusedOnANonLoopbackEndpoint) {
  std::string e = ErrorOf(Base("", "tcp://0.0.0.0:7400"));
  EXPECT_NE(e.find("non-loopback"), std::string::npos) << e;
  EXPECT_EQ(ErrorOf(Base("", "ipc:///tmp/lintas.sock")), "");
}

TEST(ConfigTest, NodeAgencyMustBeInItsCountry) {
  std::string e = ErrorOf(Base("[[nodes]]\nid = \"th-node\"\ncountry = \"THA\"\n"
                               "agencies = [\"kh-mosvy\"]\n"));
  EXPECT_NE(e.find("belongs to KHM"), std::string::npos) << e;
}

TEST(ConfigTest, AnEmptyAgencyListServesNoneSoAnAuditorIdentitySitsBesideTheNode) {
  BrokerConfig c = ParseConfig(Base("[[nodes]]\nid = \"kh-node\"\ncountry = \"KHM\"\n"
                                    "[[nodes]]\nid = \"kh-audit\"\ncountry = \"KHM\"\nagencies = []\n"
                                    "permissions = [\"audit\"]\n"),
                               "/");
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_FALSE(c.nodes[0].agencies.empty());  // absent: every agency of KHM
  EXPECT_TRUE(c.nodes[1].agencies.empty());
  EXPECT_TRUE(c.nodes[1].can_audit);
  EXPECT_FALSE(c.nodes[1].can_publish);
}

TEST(ConfigTest, AnAgencyIsServedByOneNode) {
  std::string e = ErrorOf(Base("[[nodes]]\nid = \"a-node\"\ncountry = \"THA\"\n"
                               "[[nodes]]\nid = \"b-node\"\ncountry = \"THA\"\n"));
  EXPECT_NE(e.find("already served"), std::string::npos) << e;
}

TEST(ConfigTest, OutOfRangeValueIsRefused) {
  std::string e = ErrorOf("[broker]\ndata_dir = \"/x\"\nmax_batch = 1000\n");
  EXPECT_NE(e.find("broker.max_batch"), std::string::npos) << e;
}

TEST(ConfigTest, JetStreamBackendIsParsedWithItsDefaults) {
  BrokerConfig c = ParseConfig(
      Base("[store]\nbackend = \"jetstream\"\n[store.jetstream]\nservers = [\"nats://10.0.0.1:4222\", "
           "\"nats://10.0.0.2:4222\"]\nlease_ttl_ms = 6000\n"),
      "/");
  EXPECT_EQ(c.store_backend, StoreBackend::kJetStream);
  EXPECT_EQ(c.jetstream.servers.size(), 2u);
  EXPECT_EQ(c.jetstream.replicas, 3);
  EXPECT_EQ(c.jetstream.stream, "LINTAS_LOG");
  EXPECT_EQ(c.jetstream.lease_ttl_ms, 6000);
  EXPECT_EQ(c.jetstream.duplicate_window_ms, 2 * 3600 * 1000);
  EXPECT_EQ(c.jetstream.cache_dir, "/tmp/x/jetstream-cache");
  EXPECT_EQ(ParseConfig(Base(""), "/").store_backend, StoreBackend::kRocksDb);
}

TEST(ConfigTest, TheBlockCacheIsSizedInMibWithinBounds) {
  EXPECT_EQ(ParseConfig(Base(""), "/").block_cache_mib, 32u);
  EXPECT_EQ(ParseConfig(Base("[store]\nblock_cache_mib = 64\n"), "/").block_cache_mib, 64u);
  for (const char* bad : {"4", "0", "-1", "\"32MiB\""}) {
    std::string error = ErrorOf(Base(std::string("[store]\nblock_cache_mib = ") + bad + "\n"));
    EXPECT_NE(error.find("store.block_cache_mib"), std::string::npos) << bad << ": " << error;
  }
  std::string jetstream = ErrorOf(Base(
      "[store]\nbackend = \"jetstream\"\nblock_cache_mib = 32\n[store.jetstream]\nservers = [\"nats://a:4222\"]\n"));
  EXPECT_NE(jetstream.find("store.block_cache_mib: for backend \"rocksdb\" only"), std::string::npos) << jetstream;
}

TEST(ConfigTest, JetStreamMistakesAreRefusedNamingTheField) {
  const std::string js = "[store]\nbackend = \"jetstream\"\n";
  EXPECT_NE(ErrorOf(Base(js)).find("store.jetstream: required"), std::string::npos);
  EXPECT_NE(ErrorOf(Base(js + "[store.jetstream]\nservers = []\n")).find("store.jetstream.servers"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Base(js + "[store.jetstream]\nservers = [\"10.0.0.1:4222\"]\n"))
                .find("not a nats:// or tls:// URL"),
            std::string::npos);
  const std::string ok = js + "[store.jetstream]\nservers = [\"nats://a:4222\"]\n";
  EXPECT_NE(ErrorOf(Base(ok + "replicas = 2\n")).find("store.jetstream.replicas"), std::string::npos);
  EXPECT_NE(ErrorOf(Base(ok + "stream = \"a.b\"\n")).find("store.jetstream.stream"), std::string::npos);
  EXPECT_NE(ErrorOf(Base(ok + "request_timeout_ms = 20000\n")).find("lease_ttl_ms"), std::string::npos);
  EXPECT_NE(ErrorOf(Base("[store]\nbackend = \"etcd\"\n")).find("store.backend"), std::string::npos);
  EXPECT_NE(ErrorOf(Base("[store.jetstream]\nservers = [\"nats://a:4222\"]\n")).find("rocksdb"),
            std::string::npos);
}

TEST(ConfigTest, TomlSyntaxErrorSaysWhere) {
  std::string e = ErrorOf("[broker\n");
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
}

TEST(DirectoryTest, RoleName) {
  EXPECT_EQ(Directory::RoleName(fb::Role::SocialWelfare), "social_welfare");
  EXPECT_EQ(Directory::RoleName(fb::Role::FocalPoint), "focal_point");
}

}  // namespace
}  // namespace lintas::broker

namespace lintas::broker {
namespace {

TEST(RevocationsTest, KeysMayHoldHashSignsAndChangesAreReread) {
  testutil::TempDir dir;
  std::string path = dir.Sub("revoked.keys");
  // Z85 uses '#': only a line starting with it is a comment.
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  const std::string hashed = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
  const std::string with_hash = "#ne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI#";
  std::ofstream(path) << "# revoked 2026-11-28\n" << key << "  # compromised laptop\n  " << hashed
                      << "  \n" << with_hash << "\n";
  Revocations r(path);
  EXPECT_TRUE(r.Refresh());
  EXPECT_TRUE(r.IsRevoked(key));
  EXPECT_TRUE(r.IsRevoked(hashed));
  EXPECT_TRUE(r.IsRevoked(with_hash));  // a key may start with '#'
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.Refresh());  // unchanged
  std::ofstream(path) << key << "\n";
  EXPECT_TRUE(r.Refresh());
  EXPECT_FALSE(r.IsRevoked(hashed));
  EXPECT_TRUE(r.IsRevoked(key));
  // The file disappearing (an editor saving by rename) lifts nothing.
  std::filesystem::remove(path);
  EXPECT_FALSE(r.Refresh());
  EXPECT_TRUE(r.IsRevoked(key));
  Revocations none("");
  EXPECT_FALSE(none.Refresh());
  EXPECT_FALSE(none.IsRevoked(key));
}

}  // namespace
}  // namespace lintas::broker
