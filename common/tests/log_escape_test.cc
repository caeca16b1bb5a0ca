// Log escaping: a peer's text cannot forge a log line or break a JSON line.
#include "lintas/common/log_escape.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lintas {
namespace {

TEST(LogEscapeTest, ANewlineInAPeersTextCannotStartALineOfItsOwn) {
  std::string forged = "bad frame\n2026-12-04T05:00:00.000000Z info [broker] node th-node authenticated";
  std::string text = Escaped(forged, false);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("bad frame\\n2026"), std::string::npos);
}

TEST(LogEscapeTest, ControlsAndBidiOverridesAreShownNotObeyed) {
  EXPECT_EQ(Escaped("a\x1b[31mred\r\t\x7f", false), "a\\x1B[31mred\\r\\t\\x7F");
  EXPECT_EQ(Escaped("x\xc2\x9b" "y", false), "x\\u009By");         // C1 CSI
  EXPECT_EQ(Escaped("id\xe2\x80\xaegnp.exe", false), "id\\u202Egnp.exe");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(Escaped("ស្វាគមន៍ ไทย", false), "ស្វាគមន៍ ไทย");  // Khmer and Thai pass through
}

TEST(LogEscapeTest, AJsonLineStaysOneValidObject) {
  std::string hostile = "quote\" backslash\\ newline\n nul\x01 end";
  std::string line = "{\"msg\":\"" + Escaped(hostile, true) + "\"}";
  auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_EQ(parsed["msg"], hostile);
  // Bytes that are not UTF-8 are shown as bytes; the line still parses.
  std::string binary = "{\"msg\":\"" + Escaped("bad\xff\xc3(", true) + "\"}";
  EXPECT_FALSE(nlohmann::json::parse(binary, nullptr, false).is_discarded()) << binary;
  EXPECT_EQ(Escaped("bad\xff", false), "bad\\xFF");
}

}  // namespace
}  // namespace lintas
