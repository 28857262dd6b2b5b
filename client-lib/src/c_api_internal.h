// What the C API's translation units share: the handle behind rapport_replica and the edge where
// every error stops (absl::Status -> code + thread-local message; exceptions -> INTERNAL).
// Not part of the public API. Thread-safe (the message is per thread).
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client-lib/src/close_hooks.h"
#include "rapport/rapport.h"
#include "rapport/replica.h"

struct rapport_replica {
  explicit rapport_replica(std::unique_ptr<rapport::Replica> r) : replica(std::move(r)) {}

  std::unique_ptr<rapport::Replica> replica;
  // Continuous syncs still running on the replica, stopped by rapport_close before it deletes.
  rapport::c_api::CloseHooks close_hooks;
};

namespace rapport::c_api {

// Records `status`'s message as the calling thread's last error and returns its code.
rapport_status Report(const absl::Status& status);
void SetLastError(std::string message);

// Runs `fn` (returning absl::Status), catching everything.
template <typename Fn>
rapport_status Guard(Fn&& fn) {
  try {
    return Report(fn());
  } catch (const std::exception& e) {
    SetLastError(absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    SetLastError("internal error: unknown exception");
  }
  return RAPPORT_INTERNAL;
}

// A malloc'd copy for the caller to rapport_free.
inline char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size() + 1);
  return p;
}

inline absl::Status Missing(const char* what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " must not be NULL"));
}

}  // namespace rapport::c_api
