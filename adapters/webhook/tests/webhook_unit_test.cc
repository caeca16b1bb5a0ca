// Unit tests of the webhook adapter's parts: signatures, the dead-letter
// queue on disk, backoff, configuration.
#include <fstream>

#include <gtest/gtest.h>

#include "backoff.h"
#include "dead_letters.h"
#include "lintas/common/toml_reader.h"
#include "signer.h"
#include "testutil/temp_dir.h"
#include "webhook_config.h"

namespace lintas::webhook {
namespace {

using testutil::TempDir;

// The example of the Standard Webhooks specification and its reference libraries.
TEST(SignerTest, MatchesTheStandardWebhooksExample) {
  auto s = Signer::FromSecrets({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(SignerTest, SignsWithBothSecretsDuringARotation) {
  auto one = Signer::FromSecrets({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  auto two = Signer::FromSecrets({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25kLXNlY3JldC1mb3ItbGludGFzLXRlc3Q="});
  ASSERT_TRUE(one.ok() && two.ok());
  std::string both = two->Sign("id", 1, "{}");
  std::string first = one->Sign("id", 1, "{}");
  ASSERT_EQ(both.rfind(first + " v1,", 0), 0u) << both;
  EXPECT_NE(both.substr(first.size() + 1), first);
}

TEST(SignerTest, RefusesMalformedSecretsWithoutEchoingThem) {
  auto no_prefix = Signer::FromSecrets({"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  ASSERT_FALSE(no_prefix.ok());
  EXPECT_NE(no_prefix.error().message.find("whsec_"), std::string::npos);
  EXPECT_EQ(no_prefix.error().message.find("MfKQ9r8"), std::string::npos);
  EXPECT_FALSE(Signer::FromSecrets({"whsec_!!!"}).ok());
  EXPECT_FALSE(Signer::FromSecrets({"whsec_c2hvcnQ="}).ok());  // 5 bytes
  EXPECT_FALSE(Signer::FromSecrets({}).ok());
}

DeadLetter Entry(const std::string& id, const std::string& case_key) {
  DeadLetter d;
  d.event_id = id;
  d.case_key = case_key;
  d.offset = 7;
  d.attempts = 3;
  d.last_error = "HTTP 500";
  return d;
}

TEST(DeadLettersTest, SurviveReopeningInOrder) {
  TempDir dir;
  {
    auto q = DeadLetters::Open(dir.Sub("q"));
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE((*q)->Add(Entry("e1", "C1")).ok());
    ASSERT_TRUE((*q)->Add(Entry("e2", "C2")).ok());
    ASSERT_TRUE((*q)->Add(Entry("e1", "C1")).ok());  // already queued: unchanged
  }
  auto q = DeadLetters::Open(dir.Sub("q"));
  ASSERT_TRUE(q.ok());
  auto all = (*q)->List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].event_id, "e1");
  EXPECT_EQ(all[1].event_id, "e2");
  EXPECT_EQ(all[0].last_error, "HTTP 500");
  ASSERT_TRUE((*q)->Add(Entry("e3", "C3")).ok());
  EXPECT_GT((*q)->Find("e3")->seq, all[1].seq);
}

TEST(DeadLettersTest, HoldLaterEventsOfABlockedCase) {
  TempDir dir;
  auto q = DeadLetters::Open(dir.path().string());
  ASSERT_TRUE(q.ok());
  auto free = (*q)->HoldIfBlocked(Entry("a1", "A"));
  ASSERT_TRUE(free.ok());
  EXPECT_FALSE(*free);
  ASSERT_TRUE((*q)->Add(Entry("a1", "A")).ok());
  auto held = (*q)->HoldIfBlocked(Entry("a2", "A"));
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_EQ((*q)->Find("a2")->held_behind, "a1");
  EXPECT_EQ((*q)->HeadOf("A")->event_id, "a1");
  ASSERT_TRUE((*q)->Remove("a1").ok());
  EXPECT_EQ((*q)->HeadOf("A")->event_id, "a2");
  ASSERT_TRUE((*q)->Remove("a2").ok());
  EXPECT_FALSE((*q)->HeadOf("A"));
  auto reopened = DeadLetters::Open(dir.path().string());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->size(), 0u);
}

TEST(DeadLettersTest, RefuseAnUnreadableEntry) {
  TempDir dir;
  std::ofstream(dir.Sub("0000000000000001.json")) << "{not json";
  auto q = DeadLetters::Open(dir.path().string());
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("0000000000000001.json"), std::string::npos);
}

TEST(BackoffTest, GrowsAndStaysWithinBounds) {
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(BackoffUs(1, 1000, 60000), 1000);
    EXPECT_GE(BackoffUs(1, 1000, 60000), 100);
    EXPECT_LE(BackoffUs(4, 1000, 60000), 8000);
    EXPECT_LE(BackoffUs(30, 1000, 60000), 60000);
  }
  int64_t late_max = 0;
  for (int i = 0; i < 200; ++i) late_max = std::max(late_max, BackoffUs(6, 1000, 60000));
  EXPECT_GT(late_max, 8000);  // the ceiling grew past the fourth retry's
}

std::string Write(const TempDir& dir, const std::string& text) {
  std::string path = dir.Sub("webhook.toml");
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kGood = R"(
[node]
token_file = "token"
[adapter]
data_dir = "data"
[[endpoints]]
name = "cms"
url = "https://cms.example.org/lintas"
secrets_file = "secrets"
)";

TEST(WebhookConfigTest, FillsTheDocumentedDefaults) {
  TempDir dir;
  WebhookConfig c = LoadWebhookConfig(Write(dir, kGood));
  ASSERT_EQ(c.endpoints.size(), 1u);
  const auto& e = c.endpoints[0];
  EXPECT_EQ(c.node_url, "http://127.0.0.1:7480");
  EXPECT_EQ(c.admin_listen, "127.0.0.1:7490");
  EXPECT_EQ(c.data_dir, dir.Sub("data"));
  EXPECT_EQ(e.reader, "webhook-cms");
  EXPECT_TRUE(e.inbox);
  EXPECT_TRUE(e.verify_tls);
  EXPECT_EQ(e.max_attempts, 8u);
  EXPECT_EQ(e.timeout_us, 10'000'000);
  EXPECT_EQ(e.backoff_initial_us, 1'000'000);
  EXPECT_EQ(e.lanes, 4u);
}

TEST(WebhookConfigTest, NamesTheKeyOfEachMistake) {
  TempDir dir;
  auto error_of = [&](const std::string& text) -> std::string {
    try {
      LoadWebhookConfig(Write(dir, text));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  std::string base = kGood;
  EXPECT_NE(error_of(base + "colour = \"blue\"\n").find("unknown key 'colour'"), std::string::npos);
  std::string http = base;
  http.replace(http.find("https://"), 8, "http://");
  EXPECT_NE(error_of(http).find("allow_http"), std::string::npos);
  EXPECT_NE(error_of(base + "timeout = \"ten seconds\"\n").find("endpoints[0] (cms).timeout"), std::string::npos);
  EXPECT_NE(error_of(base + "max_attempts = 0\n").find("max_attempts"), std::string::npos);
  EXPECT_NE(error_of(base + "[[endpoints]]\nname = \"cms\"\nurl = \"https://b.example\"\nsecrets_file = \"s\"\n")
                .find("used twice"),
            std::string::npos);
  EXPECT_NE(error_of("[node]\ntoken_file = \"t\"\n[adapter]\ndata_dir = \"d\"\n").find("endpoints"),
            std::string::npos);
}

}  // namespace
}  // namespace lintas::webhook
