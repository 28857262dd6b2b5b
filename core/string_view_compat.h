// Debian's Abseil (20220623) is built with its own absl::string_view rather than an alias of
// std::string_view, so absl::StrCat and friends refuse std::string_view. AV() bridges the two.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace rapport {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace rapport
