// Node configuration.
#include <gtest/gtest.h>

#include "lintas/common/clock.h"
#include "lintas/node/config.h"
#include "lintas/node/human_time.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/examples.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    ParseNodeConfig(text, "/");
  } catch (const NodeConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(NodeConfigTest, ExampleParses) {
  NodeConfig c = LoadNodeConfig(std::string(LINTAS_SOURCE_DIR) + "/ops/node.example.toml");
  EXPECT_EQ(c.id, "th-node");
  EXPECT_EQ(c.api_address, "127.0.0.1");
  EXPECT_EQ(c.api_port, 7480);
  ASSERT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions[0].min_priority, "Urgent");
  EXPECT_EQ(c.agencies.size(), 3u);
}

TEST(NodeConfigTest, MistakesAreNamed) {
  const std::string base = "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n";
  EXPECT_EQ(ErrorOf(base), "");
  EXPECT_NE(ErrorOf("[node]\ncountry = \"THA\"\ndata_dir = \"/x\"\n").find("node.id"), std::string::npos);
  // curve is the default and needs keys
  EXPECT_NE(ErrorOf("[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n").find("secret_key_file"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[broker]\nendpoint = \"tcp://10.1.2.3:7400\"\n").find("non-loopback"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "colour = 1\n").find("colour"), std::string::npos);
  EXPECT_NE(ErrorOf("[node]\nid = \"th-node\"\ncountry = \"XX\"\ndata_dir = \"/x\"\n").find("node.country"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "agencies = [\"th-dsi\"]\ndefault_agency = \"th-msdhs\"\n").find("default_agency"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[broker]\nendpoint = \"tcp://a:1\"\nendpoints = [\"tcp://b:1\"]\n").find("not both"),
            std::string::npos);
}

TEST(NodeConfigTest, EndpointsGiveFallbacks) {
  NodeConfig c = ParseNodeConfig(
      "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\n"
      "data_dir = \"/x\"\n[broker]\nendpoints = [\"tcp://127.0.0.1:1\", \"tcp://127.0.0.1:2\"]\n", "/");
  EXPECT_EQ(c.broker_endpoint, "tcp://127.0.0.1:1");
  EXPECT_EQ(c.broker_fallbacks, std::vector<std::string>{"tcp://127.0.0.1:2"});
}

// [audit]: the broker's signing key pinned from the config, and the bound
// within which acknowledged events are checked (issue 15).
TEST(NodeConfigTest, TheAuditTableTakesAKeyAndTheVerificationBound) {
  const std::string base = "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n";
  NodeConfig d = ParseNodeConfig(base, "/");
  EXPECT_EQ(d.broker_signing_key, "");
  EXPECT_EQ(d.verify_within_us, 600LL * 1000000);
  NodeConfig c = ParseNodeConfig(base + "[audit]\nbroker_signing_key = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n"
                                        "verify_within = \"30s\"\ncheckpoint_every = \"5s\"\n", "/");
  EXPECT_EQ(c.broker_signing_key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(c.verify_within_us, 30LL * 1000000);
  EXPECT_EQ(c.checkpoint_every_us, 5LL * 1000000);
  EXPECT_NE(ErrorOf(base + "[audit]\nbroker_signing_key = \"not a key\"\n").find("audit.broker_signing_key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[audit]\nverify_within = \"soon\"\n").find("audit.verify_within"), std::string::npos);
  EXPECT_NE(ErrorOf(base + "[audit]\nwitness = true\n").find("witness"), std::string::npos);
}

// [audit] witness_key_file and [audit.witness_keys]: the node's own witness
// key's place, and the other nodes' keys pinned out of band (docs/AUDIT.md 3b).
TEST(NodeConfigTest, WitnessKeysArePinnedFromTheConfigAndAWrongOneIsNamed) {
  const std::string base = "[security]\nmode = \"plaintext\"\n[node]\nid = \"th-node\"\ncountry = \"THA\"\ndata_dir = \"/x\"\n";
  NodeConfig d = ParseNodeConfig(base, "/etc/lintas");
  EXPECT_EQ(d.witness_key_file, "");
  EXPECT_TRUE(d.witness_keys.empty());
  NodeConfig c = ParseNodeConfig(base + "[audit]\nwitness_key_file = \"keys/witness.key\"\n[audit.witness_keys]\n"
                                        "kh-node = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n", "/etc/lintas");
  EXPECT_EQ(c.witness_key_file, "/etc/lintas/keys/witness.key");
  ASSERT_EQ(c.witness_keys.size(), 1u);
  EXPECT_EQ(c.witness_keys.at("kh-node"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_NE(ErrorOf(base + "[audit.witness_keys]\nkh-node = \"short\"\n").find("audit.witness_keys.kh-node"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + "[audit.witness_keys]\nkh-node = 7\n").find("audit.witness_keys.kh-node"), std::string::npos);
}

TEST(HumanTimeTest, DurationsAndDates) {
  EXPECT_EQ(ParseDuration("3d"), 3LL * 86400 * 1000000);
  EXPECT_EQ(ParseDuration("1d12h"), 36LL * 3600 * 1000000);
  EXPECT_EQ(ParseDuration("500ms"), 500LL * 1000);
  EXPECT_EQ(ParseDuration("1m30s"), 90LL * 1000000);
  EXPECT_EQ(ParseDuration("90m"), 90LL * 60 * 1000000);
  EXPECT_FALSE(ParseDuration("3 days"));
  EXPECT_FALSE(ParseDuration("0h"));
  EXPECT_EQ(ParseWhen("2026-12-09T10:00+07:00", 0), ParseWhen("2026-12-09T03:00Z", 0));
  EXPECT_EQ(ParseWhen("2026-12-09", 0), ParseWhen("2026-12-09T00:00:00Z", 0));
  EXPECT_EQ(ParseWhen("8h", 5), 5 + 8LL * 3600 * 1000000);
  EXPECT_FALSE(ParseWhen("2026-02-30", 0));
  EXPECT_FALSE(ParseWhen("next tuesday", 0));
}

}  // namespace
}  // namespace lintas::node
