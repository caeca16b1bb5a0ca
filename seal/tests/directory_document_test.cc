// The directory document: round trip, refusals, counterpart resolution.
#include "lintas/seal/directory_document.h"

#include <gtest/gtest.h>

#include "lintas/seal/errc.h"

namespace lintas::seal {
namespace {

DirectoryDocument Sample() {
  DirectoryDocument d;
  d.broker_id = "lintas-broker";
  d.issued_at_us = 1793491200000000;
  d.agencies = {
      {"vn-mps-cpd", "VNM", {"police", "focal_point"}, {"police"}, "vn-node"},
      {"vn-bgc", "VNM", {"police"}, {}, "vn-bgc-node"},
      {"vn-molisa", "VNM", {"social_welfare"}, {}, "vn-node"},
      {"th-rtp-atpd", "THA", {"police"}, {}, "th-node"},
      {"th-dsi", "THA", {"police"}, {}, "th-node"},
  };
  d.nodes = {{"vn-node", "VNM", SealKeyring::Generate().public_key}, {"vn-bgc-node", "VNM", std::nullopt}};
  return d;
}

TEST(DirectoryDocumentTest, RoundTripsThroughItsText) {
  DirectoryDocument d = Sample();
  auto parsed = DirectoryDocument::Parse(d.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->Serialize(), d.Serialize());
  ASSERT_NE(parsed->FindNode("vn-node"), nullptr);
  EXPECT_EQ(parsed->FindNode("vn-node")->seal_key, d.nodes[0].seal_key);
  EXPECT_FALSE(parsed->FindNode("vn-bgc-node")->seal_key.has_value());
}

TEST(DirectoryDocumentTest, ARoleResolvesToItsDesignatedCounterpartOnly) {
  DirectoryDocument d = Sample();
  auto police = d.Counterpart("VNM", "police", "destinations[0]");
  ASSERT_TRUE(police.ok());
  EXPECT_EQ((*police)->id, "vn-mps-cpd");
  auto welfare = d.Counterpart("VNM", "social_welfare", "destinations[0]");
  ASSERT_TRUE(welfare.ok());
  EXPECT_EQ((*welfare)->id, "vn-molisa");  // the only one with the role
}

TEST(DirectoryDocumentTest, AnAmbiguousRoleIsRefusedNamingTheField) {
  DirectoryDocument d = Sample();
  auto police = d.Counterpart("THA", "police", "destinations[1]");
  ASSERT_FALSE(police.ok());
  EXPECT_EQ(police.error().field, "destinations[1].role");
  EXPECT_NE(police.error().message.find("designated counterpart"), std::string::npos);
  auto none = d.Counterpart("THA", "labour", "destinations[0]");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().field, "destinations[0].role");
}

TEST(DirectoryDocumentTest, MalformedDocumentsAreRefusedNamingTheField) {
  EXPECT_EQ(DirectoryDocument::Parse("[]").error().field, "directory");
  EXPECT_EQ(DirectoryDocument::Parse(R"({"format":"other"})").error().field, "format");
  auto bad_key = DirectoryDocument::Parse(
      R"({"format":"lintas-directory/1","agencies":[],"nodes":[{"id":"x","seal_key":"abc"}]})");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().field, "nodes[0].seal_key");
  EXPECT_EQ(bad_key.error().code, make_error_code(errc::directory_invalid));
  std::string huge(kMaxDirectoryBytes + 1, ' ');
  EXPECT_FALSE(DirectoryDocument::Parse(huge).ok());
}

}  // namespace
}  // namespace lintas::seal
