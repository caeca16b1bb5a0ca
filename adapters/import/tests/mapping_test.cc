// The mapping file and its transforms: columns, constants, value maps,
// lists, dates, types, defaults; errors name the column and never echo the
// cell's value.
#include "mapping.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lintas/common/toml_reader.h"
#include "source.h"

namespace lintas::importer {
namespace {

using nlohmann::json;

const char* kMapping = R"(
kind = "referral"
id = "row_id"
id_prefix = "cms:"
[fields]
to = { column = "destination", map = { "Cambodia" = "KHM/social_welfare", "Viet Nam" = "VNM/police" } }
case_id = "case_no"
"victim.pseudonym" = "victim.code"
"victim.age" = { column = "victim_age", type = "integer", required = false }
"victim.minor" = { column = "minor", type = "boolean", default = "no" }
"victim.languages" = { column = "langs", split = ";" }
consent = { column = "consent", split = "|", map = { "ID" = "identity", "RET" = "return_logistics" } }
priority = { column = "urgency", map = { "1" = "life_threatening", "2" = "urgent", "3" = "routine" } }
due = { column = "reply_by", date_format = "%d/%m/%Y", required = false }
handling = { value = "H1" }
exploitation = { column = "type", map = { "fishing" = "forced_labour" }, unmapped = "keep" }
)";

json Record() {
  return json{{"row_id", " 17 "},
              {"destination", "cambodia"},
              {"case_no", "TH-2026-0192"},
              {"victim", {{"code", "V-TH-0192"}}},
              {"victim_age", "17"},
              {"minor", ""},
              {"langs", "km; th ;"},
              {"consent", "ID|RET"},
              {"urgency", "2"},
              {"reply_by", "09/12/2026"},
              {"type", "sexual"}};
}

TEST(MappingTest, MapsEveryKindOfRule) {
  Mapping m = ParseMapping(kMapping, "test");
  EXPECT_EQ(m.route, "/v1/referrals");
  Mapped out = ApplyMapping(m, Record());
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].column << ": " << out.errors[0].message;
  EXPECT_EQ(out.row_id, "17");
  EXPECT_EQ(out.body["client_ref"], "cms:17");
  EXPECT_EQ(out.body["to"], "KHM/social_welfare");  // the value map ignores case
  EXPECT_EQ(out.body["case_id"], "TH-2026-0192");
  EXPECT_EQ(out.body["victim"]["pseudonym"], "V-TH-0192");  // a dotted JSON path
  EXPECT_EQ(out.body["victim"]["age"], 17);
  EXPECT_EQ(out.body["victim"]["minor"], false);  // the default of an empty cell
  EXPECT_EQ(out.body["victim"]["languages"], json::array({"km", "th"}));
  EXPECT_EQ(out.body["consent"], json::array({"identity", "return_logistics"}));
  EXPECT_EQ(out.body["priority"], "urgent");
  EXPECT_EQ(out.body["due"], "2026-12-09");
  EXPECT_EQ(out.body["handling"], "H1");
  EXPECT_EQ(out.body["exploitation"], "sexual");  // unmapped = "keep"
}

TEST(MappingTest, ErrorsNameTheColumnAndNotTheValue) {
  Mapping m = ParseMapping(kMapping, "test");
  json r = Record();
  r["victim_age"] = "seventeen";
  r["urgency"] = "9";
  r["reply_by"] = "31/02/2026";
  r["minor"] = "maybe";
  r["case_no"] = "";
  Mapped out = ApplyMapping(m, r);
  std::map<std::string, std::string> by_column;
  for (const auto& e : out.errors) by_column[e.column] = e.message;
  EXPECT_EQ(by_column["victim_age"], "not a number");
  EXPECT_EQ(by_column["urgency"], "not one of the mapping's values (1, 2, 3)");
  EXPECT_EQ(by_column["reply_by"], "not a date in the format \"%d/%m/%Y\"");
  EXPECT_EQ(by_column["minor"], "not true or false (true/false, yes/no, y/n, 1/0)");
  EXPECT_EQ(by_column["case_no"], "is empty");
  EXPECT_EQ(out.errors.size(), 5u);
  for (const auto& e : out.errors) EXPECT_EQ(e.message.find("seventeen"), std::string::npos);
  RowError re{7, 8, "victim_age", "victim.age", by_column["victim_age"]};
  EXPECT_EQ(Describe(re), "row 7 (line 8), column \"victim_age\" (victim.age): not a number");
}

TEST(MappingTest, OptionalEmptyCellLeavesTheFieldOut) {
  Mapping m = ParseMapping(kMapping, "test");
  json r = Record();
  r["victim_age"] = "";
  r.erase("reply_by");
  Mapped out = ApplyMapping(m, r);
  EXPECT_TRUE(out.errors.empty());
  EXPECT_FALSE(out.body["victim"].contains("age"));
  EXPECT_FALSE(out.body.contains("due"));
}

TEST(MappingTest, MissingRowIdIsAnError) {
  Mapping m = ParseMapping(kMapping, "test");
  json r = Record();
  r["row_id"] = "  ";
  Mapped out = ApplyMapping(m, r);
  ASSERT_FALSE(out.errors.empty());
  EXPECT_EQ(out.errors[0].column, "row_id");
  EXPECT_FALSE(out.body.contains("client_ref"));
}

TEST(MappingTest, JsonValuesAndListsAndDateTimes) {
  Mapping m = ParseMapping(R"(
kind = "request"
id = "id"
[fields]
to = { column = "to", type = "list" }
case_id = "case"
subject = "subject"
questions = { column = "questions", type = "list" }
due = { column = "due", date_format = "%Y-%m-%d %H:%M", date_offset = "+07:00" }
)",
                           "test");
  Mapped out = ApplyMapping(m, json{{"id", 42},
                                    {"to", {"KHM/police"}},
                                    {"case", "C"},
                                    {"subject", "S-1"},
                                    {"questions", {"Where?", "When?"}},
                                    {"due", "2026-12-09 10:30"}});
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].message;
  EXPECT_EQ(out.row_id, "42");
  EXPECT_EQ(out.body["to"], json::array({"KHM/police"}));
  EXPECT_EQ(out.body["questions"], json::array({"Where?", "When?"}));
  EXPECT_EQ(out.body["due"], "2026-12-09T10:30:00+07:00");
  Mapped list_in_plain = ApplyMapping(m, json{{"id", 1},
                                              {"to", "KHM/police"},
                                              {"case", {"x"}},
                                              {"subject", "S"},
                                              {"questions", "Q"},
                                              {"due", "2026-12-09 10:30"}});
  ASSERT_EQ(list_in_plain.errors.size(), 1u);
  EXPECT_EQ(list_in_plain.errors[0].column, "case");
  EXPECT_EQ(list_in_plain.errors[0].message, "is a list (set type = \"list\")");
}

TEST(MappingTest, RuleForTheNodesFieldNames) {
  Mapping m = ParseMapping(kMapping, "test");
  ASSERT_NE(m.RuleFor("to[1]"), nullptr);
  EXPECT_EQ(m.RuleFor("to[1]")->column, "destination");
  ASSERT_NE(m.RuleFor("victim"), nullptr);
  EXPECT_EQ(m.RuleFor("victim.age")->column, "victim_age");
  EXPECT_EQ(m.RuleFor("summary"), nullptr);
}

TEST(MappingTest, BadMappingsAreRefusedNamingTheKey) {
  auto refused = [](const std::string& text) {
    try {
      ParseMapping(text, "m.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused("kind = \"referral\"\nid = \"i\"\n[fields]\nvictim_age = \"a\"\n")
                .find("fields.victim_age: not a field"),
            std::string::npos);
  EXPECT_NE(refused("kind = \"alert\"\nid = \"i\"\n[fields]\nto = \"a\"\n").find("kind: must be"),
            std::string::npos);
  EXPECT_NE(refused("kind = \"referral\"\n[fields]\nto = \"a\"\n").find("id: required"),
            std::string::npos);
  EXPECT_NE(
      refused("kind = \"referral\"\nid = \"i\"\n[fields]\nto = { column = \"a\", value = \"b\" }\n")
          .find("exactly one of column and value"),
      std::string::npos);
  EXPECT_NE(
      refused("kind = \"referral\"\nid = \"i\"\n[fields]\nto = { column = \"a\", typo = 1 }\n")
          .find("typo"),
      std::string::npos);
  EXPECT_NE(refused("kind = \"request\"\nid = \"i\"\n[fields]\nconsent = \"a\"\n")
                .find("not a field of POST /v1/requests"),
            std::string::npos);
}

}  // namespace
}  // namespace lintas::importer

namespace lintas::importer {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ExamplesTest, TheReadmeExamplesMapWithoutErrors) {
  const std::string dir = std::string(LINTAS_SOURCE_DIR) + "/adapters/import/examples/";
  for (const auto& [data, mapping_file] : {std::pair{"referrals.csv", "referrals-csv.toml"},
                                           std::pair{"requests.json", "requests-json.toml"}}) {
    Mapping m = LoadMapping(dir + mapping_file);
    auto format = FormatOf(data, m);
    ASSERT_TRUE(format.ok());
    auto source = ReadSource(ReadAll(dir + data), *format, m);
    ASSERT_TRUE(source.ok()) << source.error().message;
    EXPECT_TRUE(source->errors.empty());
    for (const auto& row : source->rows) {
      Mapped out = ApplyMapping(m, row.record);
      for (const auto& e : out.errors)
        ADD_FAILURE() << data << " row " << row.number << " " << e.column << ": " << e.message;
    }
  }
}

}  // namespace
}  // namespace lintas::importer
