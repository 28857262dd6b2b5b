// A plain-text table for the terminal: a header row, aligned columns (widths count display
// columns, so Chinese names, two columns wide, line up), numbers right-aligned.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rapport::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Columns `text` takes on a terminal: East Asian wide characters count two.
size_t DisplayWidth(const std::string& text);
// "12.3%" for 0.123.
std::string Percent(double fraction);
// Fixed notation with `digits` decimals.
std::string Fixed(double value, int digits);

}  // namespace rapport::cli
