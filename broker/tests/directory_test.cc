// The directory's role resolution: COUNTRY/role goes to the country's
// designated counterpart for the role, else to its only agency with it; an
// ambiguous role is refused naming the field; two counterparts for one role
// are a configuration error naming both.
#include "lintas/broker/directory.h"

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "lintas/wire/errc.h"
#include "testutil/temp_dir.h"

namespace lintas::broker {
namespace {

const std::string kCsv = std::string(LINTAS_SOURCE_DIR) + "/ops/directory/agencies.csv";

std::string Base(const std::string& directory) {
  return "[broker]\ndata_dir = \"/tmp/x\"\n[security]\nmode = \"plaintext\"\n[directory]\n" + directory;
}

std::string ErrorOf(const std::string& text) {
  try {
    ParseConfig(text, "/");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// One destination, packed; `agency` empty: by role.
struct Dest {
  flatbuffers::FlatBufferBuilder fbb;
  const fb::Destination* d = nullptr;
  Dest(const std::string& country, fb::Role role, const std::string& agency = "") {
    auto c = fbb.CreateString(country);
    auto a = agency.empty() ? 0 : fbb.CreateString(agency);
    fbb.Finish(fb::CreateDestination(fbb, c, a, role));
    d = flatbuffers::GetRoot<fb::Destination>(fbb.GetBufferPointer());
  }
};

std::string Resolved(const Directory& dir, const Dest& dest) {
  auto r = dir.ResolveAgency(*dest.d, 2);
  return r.ok() ? std::string(*r) : "error " + r.error().field + ": " + r.error().message;
}

TEST(DirectoryTest, ARoleResolvesToTheDesignatedCounterpartOnly) {
  Directory dir(ParseConfig(Base("agencies_csv = \"" + kCsv + "\"\n"), "/"));
  // Viet Nam has two police agencies; the CSV designates vn-mps-cpd.
  EXPECT_EQ(Resolved(dir, Dest("VNM", fb::Role::Police)), "vn-mps-cpd");
  EXPECT_EQ(Resolved(dir, Dest("THA", fb::Role::Police)), "th-rtp-atpd");
  EXPECT_EQ(Resolved(dir, Dest("THA", fb::Role::Ngo)), "th-hrdf");
  // The only agency with a role needs no designation.
  EXPECT_EQ(Resolved(dir, Dest("KHM", fb::Role::SocialWelfare)), "kh-mosvy");
  // An agency named outright is that agency, counterpart or not.
  EXPECT_EQ(Resolved(dir, Dest("VNM", fb::Role::Unspecified, "vn-bgc")), "vn-bgc");
  EXPECT_EQ(Resolved(dir, Dest("VNM", fb::Role::Labour)),
            "error destinations[2].role: destinations[2].role: no agency with role 'labour' in VNM");
  // Policy judges COUNTRY/role as the agency it resolves to.
  auto roles = dir.DestinationRoles(*Dest("VNM", fb::Role::Police).d);
  EXPECT_EQ(std::vector<std::string>(roles.begin(), roles.end()),
            (std::vector<std::string>{"police", "focal_point"}));
}

TEST(DirectoryTest, AnAmbiguousRoleWithoutCounterpartIsRefusedNamingTheField) {
  Directory dir(ParseConfig(Base(R"([[directory.agencies]]
id = "vn-a"
country = "VNM"
roles = ["police"]
[[directory.agencies]]
id = "vn-b"
country = "VNM"
roles = ["police", "ngo"]
counterpart = ["ngo"]
)"),
                            "/"));
  auto r = dir.ResolveAgency(*Dest("VNM", fb::Role::Police).d, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, wire::errc::unknown_destination);
  EXPECT_EQ(r.error().field, "destinations[1].role");
  EXPECT_NE(r.error().message.find("no counterpart is designated"), std::string::npos) << r.error().message;
  // The inline table's `counterpart` designates.
  EXPECT_EQ(Resolved(dir, Dest("VNM", fb::Role::Ngo)), "vn-b");
}

TEST(DirectoryTest, TwoCounterpartsForOneRoleAreAStartUpErrorNamingBoth) {
  std::string e = ErrorOf(Base(R"([[directory.agencies]]
id = "vn-a"
country = "VNM"
roles = ["police"]
counterpart = ["police"]
[[directory.agencies]]
id = "vn-b"
country = "VNM"
roles = ["police"]
counterpart = ["police"]
)"));
  EXPECT_NE(e.find("'vn-a' and 'vn-b'"), std::string::npos) << e;
  EXPECT_NE(e.find("VNM/police"), std::string::npos) << e;
  // A counterpart for a role the agency does not have.
  e = ErrorOf(Base("[[directory.agencies]]\nid = \"vn-a\"\ncountry = \"VNM\"\nroles = [\"police\"]\n"
                   "counterpart = [\"ngo\"]\n"));
  EXPECT_NE(e.find("directory.agencies[0].counterpart"), std::string::npos) << e;
}

TEST(DirectoryTest, TheCsvCounterpartColumnIsOptionalAndParsed) {
  testutil::TempDir dir;
  std::string path = dir.Sub("agencies.csv");
  std::ofstream(path) << "country_iso3,country,agency_id,agency,roles,languages,counterpart\n"
                         "VNM,Viet Nam,vn-a,A,police;focal_point,vi,police;focal_point\n"
                         "VNM,Viet Nam,vn-b,B,police,vi\n"
                         "VNM,Viet Nam,vn-c,C,ngo,vi,\n";
  auto agencies = LoadAgenciesCsv(path);
  ASSERT_EQ(agencies.size(), 3u);
  EXPECT_EQ(agencies[0].counterpart_for, (std::vector<std::string>{"police", "focal_point"}));
  EXPECT_TRUE(agencies[1].counterpart_for.empty());
  EXPECT_TRUE(agencies[2].counterpart_for.empty());
  // Every role held by more than one agency of a country in the shipped
  // directory has its designated counterpart.
  for (const auto& a : LoadAgenciesCsv(kCsv)) {
    for (const auto& role : a.roles) {
      size_t holders = 0;
      size_t designated = 0;
      for (const auto& b : LoadAgenciesCsv(kCsv)) {
        if (b.country != a.country) continue;
        holders += std::count(b.roles.begin(), b.roles.end(), role);
        designated += std::count(b.counterpart_for.begin(), b.counterpart_for.end(), role);
      }
      EXPECT_TRUE(holders == 1 || designated == 1) << a.country << "/" << role;
    }
  }
}

}  // namespace
}  // namespace lintas::broker
