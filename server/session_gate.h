// The door of every session and admin call: verifies the bearer token in the call's metadata
// (auth::TokenVerifier), turns it into the caller's auth::Scope, and caps concurrent sessions per
// subject so one stolen token cannot exhaust the server. docs/security.md.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/auth/scope.h"
#include "core/auth/token_verifier.h"
#include "core/schema/schema.h"
#include "grpcpp/grpcpp.h"

namespace rapport::server {

struct AuthOptions {
  // false: no token is asked for and every caller acts as admin. Only for tests and demos on
  // loopback; rapportd refuses it on any other address.
  bool required = true;
  auth::VerifierConfig verifier;  // keys, issuer, audience (required when `required`)
  size_t max_sessions_per_subject = 32;
};

class SessionGate {
 public:
  // A caller admitted to a session: its scope (nullopt when auth is off: everything) and its
  // slot among its subject's sessions, given back on destruction.
  class Pass {
   public:
    Pass(Pass&&) = default;
    Pass& operator=(Pass&&) = default;
    ~Pass();
    const std::optional<auth::Scope>& scope() const { return scope_; }
    // "admin:li.na" style label for logs and metrics; "anonymous" when auth is off.
    const std::string& who() const { return who_; }
    bool is_admin() const;

   private:
    friend class SessionGate;
    Pass(SessionGate* gate, std::optional<auth::Scope> scope, std::string who)
        : gate_(gate), scope_(std::move(scope)), who_(std::move(who)) {}
    struct Release {
      void operator()(SessionGate* gate) const;
      std::string subject;
    };
    std::unique_ptr<SessionGate, Release> gate_;
    std::optional<auth::Scope> scope_;
    std::string who_;
  };

  static absl::StatusOr<std::unique_ptr<SessionGate>> Create(AuthOptions options,
                                                             const schema::Schema& schema);
  // Use Create (it validates the verifier configuration).
  SessionGate(AuthOptions options, std::optional<auth::TokenVerifier> verifier,
              const schema::Schema& schema)
      : options_(std::move(options)), verifier_(std::move(verifier)), schema_(schema) {}

  // Unauthenticated (missing or invalid token) or ResourceExhausted (too many sessions of this
  // subject). `counted`: whether the pass holds a session slot (streams) or not (unary calls).
  // A unary call is refused first with DeadlineExceeded if it was cancelled or its deadline has
  // passed by the verifier's clock: its caller has given up, so the server does none of its work
  // (not even the signature check). Unary calls do short, bounded work once admitted
  // (docs/security.md "Limits on calls").
  absl::StatusOr<Pass> Admit(const grpc::CallbackServerContext& context, bool counted);

 private:
  // DeadlineExceeded if the call was cancelled or is past its deadline (see Admit).
  absl::Status CheckCallIsAlive(const grpc::CallbackServerContext& context) const;
  void ReleaseSlot(const std::string& subject);

  const AuthOptions options_;
  const std::optional<auth::TokenVerifier> verifier_;
  const schema::Schema& schema_;
  absl::Mutex mu_;
  std::map<std::string, size_t> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::server
