#include "core/crdt/scalar.h"

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace rapport::crdt {

// Howard Hinnant's days-from-civil algorithm: exact for every representable date.
Date DateFromCivil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return Date{era * 146097 + static_cast<int>(doe) - 719468};
}

void CivilFromDate(Date date, int* year, unsigned* month, unsigned* day) {
  // 64-bit: a received day number near INT32_MAX must not overflow.
  const int64_t z = int64_t{date.days} + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (*month <= 2));
}

std::string ScalarToText(const Scalar& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t i) const { return absl::StrFormat("%d", i); }
    std::string operator()(double d) const { return absl::StrFormat("%g", d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(Date d) const {
      int y;
      unsigned m, day;
      CivilFromDate(d, &y, &m, &day);
      return absl::StrFormat("%04d-%02d-%02d", y, m, day);
    }
    std::string operator()(const EnumSymbol& e) const { return e.symbol; }
    std::string operator()(Timestamp t) const {
      return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(t.millis),
                              absl::UTCTimeZone());
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace rapport::crdt
