// Early-return helpers for absl::Status / absl::StatusOr. Debian's Abseil (20220623) ships
// neither ABSL_RETURN_IF_ERROR nor ABSL_ASSIGN_OR_RETURN, so we keep our two here, once.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RAPPORT_CONCAT_INNER(a, b) a##b
#define RAPPORT_CONCAT(a, b) RAPPORT_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status rapport_status_ = (expr);           \
    if (!rapport_status_.ok()) return rapport_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, F())` declares x from an OK StatusOr, or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  RAPPORT_ASSIGN_OR_RETURN_IMPL(RAPPORT_CONCAT(rapport_statusor_, __LINE__), lhs, expr)

#define RAPPORT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
