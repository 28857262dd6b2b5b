// RFC 4180 reading: quoting, embedded separators and line breaks, BOM, CRLF, line numbers, and
// recovery from a malformed row.
#include "tools/cli/csv_reader.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/cli/csv_writer.h"

namespace rapport::cli {
namespace {

std::vector<CsvRecord> ReadAll(std::string_view text) {
  CsvReader reader(text);
  std::vector<CsvRecord> out;
  CsvRecord r;
  while (reader.Next(r)) out.push_back(r);
  return out;
}

TEST(CsvReader, QuotesCommasNewlinesAndLineNumbers) {
  const auto rows = ReadAll(
      "a,b,c\r\n"
      "1,\"x, y\",\"he said \"\"hi\"\"\"\r\n"
      "2,\"two\nlines\",王芳\n"
      "3,,\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "x, y", "he said \"hi\""}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"2", "two\nlines", "王芳"}));
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"3", "", ""}));
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[2].line, 3);
  EXPECT_EQ(rows[3].line, 5);  // the row before spans lines 3 and 4
  for (const auto& r : rows) EXPECT_TRUE(r.error.empty()) << r.error;
}

TEST(CsvReader, SkipsByteOrderMarkAndBlankLines) {
  const auto rows = ReadAll("\xEF\xBB\xBFname\n\nWang\r\n\r\nLi");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields[0], "name");
  EXPECT_EQ(rows[1].fields[0], "Wang");
  EXPECT_EQ(rows[1].line, 3);
  EXPECT_EQ(rows[2].fields[0], "Li");
  EXPECT_EQ(rows[2].line, 5);
}

TEST(CsvReader, UnterminatedQuoteCostsOneRow) {
  const auto rows = ReadAll("k,n\nK1,\"open\nK2,ok\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_NE(rows[1].error.find("unterminated"), std::string::npos);
  // The file goes on after this row, so the message must not say it ended there.
  EXPECT_EQ(rows[1].error.find("end of the file"), std::string::npos) << rows[1].error;
  EXPECT_NE(rows[1].error.find("reading resumes on line 3"), std::string::npos) << rows[1].error;
  EXPECT_EQ(rows[1].error_field, 2u);
  EXPECT_TRUE(rows[2].error.empty());
  EXPECT_EQ(rows[2].line, 3);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"K2", "ok"}));
}

TEST(CsvReader, QuoteClosedByALaterRowIsReportedAndReadingResumes) {
  const auto rows = ReadAll("K1,\"open,1\nK2,\"Multi\nline\",2\nK3,x,3\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_NE(rows[0].error.find("reading resumes on line 2"), std::string::npos) << rows[0].error;
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"K2", "Multi\nline", "2"}));
  EXPECT_EQ(rows[2].line, 4);
}

TEST(CsvReader, UnterminatedQuoteOnTheLastRowSaysSo) {
  const auto rows = ReadAll("k,n\nK1,\"open");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].error.find("the last row of the file"), std::string::npos) << rows[1].error;
}

TEST(CsvReader, StrayQuoteInUnquotedField) {
  const auto rows = ReadAll("a,b\"c,d\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].error.empty());
  EXPECT_EQ(rows[0].error_field, 2u);
}

TEST(CsvWriter, RoundTripsThroughTheReader) {
  const std::vector<std::string> fields = {"plain", "a,b", "say \"x\"", "two\r\nlines",
                                           " pad",  "",    "张伟"};
  std::string text;
  AppendCsvRecord(text, fields);
  AppendCsvRecord(text, {"next"});
  const auto rows = ReadAll(text);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, fields);
  EXPECT_EQ(rows[1].line, 3);
}

TEST(CsvWriter, LeadingZeroWidthNoBreakSpaceSurvivesAtTheStartOfAFile) {
  // Found by fuzz/csv_import: unquoted, it looked like a byte order mark and was dropped.
  const std::vector<std::string> fields = {"\xEF\xBB\xBFWang", "x"};
  std::string text;
  AppendCsvRecord(text, fields);
  const auto rows = ReadAll(text);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, fields);
}

}  // namespace
}  // namespace rapport::cli
