// CSV parsing and reading exports into rows: quotes, delimiters and line
// breaks inside quoted fields, CRLF, a BOM, UTF-8, and the errors that name
// the line, row and column.
#include "csv.h"

#include <gtest/gtest.h>

#include "mapping.h"
#include "source.h"

namespace lintas::importer {
namespace {

TEST(CsvTest, QuotedFieldsKeepDelimitersQuotesAndLineBreaks) {
  auto records = ParseCsv(
      "id,summary,age\r\n1,\"Found at the pier, \"\"Dock 4\"\"\",17\r\n2,\"two\nlines\",9\r\n");
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[1].fields,
            (std::vector<std::string>{"1", "Found at the pier, \"Dock 4\"", "17"}));
  EXPECT_EQ((*records)[2].fields, (std::vector<std::string>{"2", "two\nlines", "9"}));
  EXPECT_EQ((*records)[1].line, 2u);
  EXPECT_EQ((*records)[2].line, 3u);
}

TEST(CsvTest, LineNumbersCountLineBreaksInsideQuotes) {
  auto records = ParseCsv("a,b\n1,\"x\ny\nz\"\n\n2,w");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);  // the blank line is skipped
  EXPECT_EQ((*records)[2].line, 6u);
  EXPECT_EQ((*records)[2].fields, (std::vector<std::string>{"2", "w"}));  // no final line break
}

TEST(CsvTest, ByteOrderMarkIsSkippedAndUtf8Kept) {
  auto records = ParseCsv(
      "\xEF\xBB\xBFid;name\n1;\xE0\xB8\xAA\xE0\xB8\xA1\xE0\xB8\x8A\xE0\xB8\xB2\xE0\xB8\xA2\n", ';');
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)[0].fields[0], "id");
  EXPECT_EQ((*records)[1].fields[1],
            "\xE0\xB8\xAA\xE0\xB8\xA1\xE0\xB8\x8A\xE0\xB8\xB2\xE0\xB8\xA2");
  EXPECT_TRUE(IsUtf8((*records)[1].fields[1]));
}

TEST(CsvTest, EmptyFieldsAndQuotedEmptyField) {
  auto records = ParseCsv("a,b,c\n,\"\",\n");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)[1].fields, (std::vector<std::string>{"", "", ""}));
}

TEST(CsvTest, ErrorsNameTheLine) {
  auto open = ParseCsv("a,b\n1,2\n3,\"never closed\n4,5\n");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().message, "line 3: a quoted field is never closed");
  auto stray = ParseCsv("a,b\n1,x\"y\n");
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(stray.error().message.find("line 2: a quote inside an unquoted field"),
            std::string::npos);
  auto after = ParseCsv("a,b\n1,\"x\"y\n");
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message.find("line 2: text after a closing quote"), std::string::npos);
}

TEST(CsvTest, Utf8Check) {
  EXPECT_TRUE(IsUtf8("plain"));
  EXPECT_TRUE(IsUtf8("\xE1\x9E\x80"));      // Khmer KA
  EXPECT_TRUE(IsUtf8("\xF0\x9F\x98\x80"));  // an emoji
  EXPECT_FALSE(IsUtf8("\xE9t\xE9"));        // Latin-1
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));     // a surrogate
  EXPECT_FALSE(IsUtf8("\xE1\x9E"));         // cut short
}

Mapping CsvMapping() {
  return ParseMapping(R"(
kind = "referral"
id = "row_id"
[fields]
case_id = "case_no"
"victim.pseudonym" = "code"
"victim.age" = { column = "age", type = "integer" }
)",
                      "test");
}

TEST(SourceTest, CsvRowsAreObjectsKeyedByTheHeader) {
  auto source = ReadSource("row_id,case_no,code,age\nr1,C-1,V-1,17\n", "csv", CsvMapping());
  ASSERT_TRUE(source.ok()) << source.error().message;
  ASSERT_EQ(source->rows.size(), 1u);
  EXPECT_EQ(source->rows[0].number, 1u);
  EXPECT_EQ(source->rows[0].line, 2u);
  EXPECT_EQ(source->rows[0].record["case_no"], "C-1");
}

TEST(SourceTest, MissingColumnIsAFileError) {
  auto source = ReadSource("row_id,case_no,code\nr1,C-1,V-1\n", "csv", CsvMapping());
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().message, "the header has no column \"age\" (the mapping names it)");
}

TEST(SourceTest, BadRowsAreListedWithRowLineAndColumn) {
  auto source = ReadSource("row_id,case_no,code,age\nr1,C-1,V-1\nr2,C-2,\xE9,3\nr3,C-3,V-3,4\n",
                           "csv", CsvMapping());
  ASSERT_TRUE(source.ok());
  ASSERT_EQ(source->errors.size(), 2u);
  EXPECT_EQ(Describe(source->errors[0]), "row 1 (line 2): 3 fields, the header has 4");
  EXPECT_EQ(Describe(source->errors[1]),
            "row 2 (line 3), column \"code\": not valid UTF-8 (save the export as UTF-8)");
  ASSERT_EQ(source->rows.size(), 1u);
  EXPECT_EQ(source->rows[0].number, 3u);
}

TEST(SourceTest, JsonRecordsAtAPath) {
  Mapping m = CsvMapping();
  m.records = "export.cases";
  auto source =
      ReadSource(R"({"export": {"cases": [{"row_id": "a"}, 7, {"row_id": "b"}]}})", "json", m);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ(source->rows.size(), 2u);
  ASSERT_EQ(source->errors.size(), 1u);
  EXPECT_EQ(Describe(source->errors[0]), "row 2: not an object");
  auto bad = ReadSource("[{]", "json", CsvMapping());
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace lintas::importer
