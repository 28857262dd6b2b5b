#include "server/session_gate.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::server {

void SessionGate::Pass::Release::operator()(SessionGate* gate) const { gate->ReleaseSlot(subject); }

SessionGate::Pass::~Pass() = default;

bool SessionGate::Pass::is_admin() const {
  return !scope_ || scope_->claims().role == auth::Role::kAdmin;
}

absl::StatusOr<std::unique_ptr<SessionGate>> SessionGate::Create(AuthOptions options,
                                                                 const schema::Schema& schema) {
  std::optional<auth::TokenVerifier> verifier;
  if (options.required) {
    ASSIGN_OR_RETURN(verifier, auth::TokenVerifier::Create(options.verifier));
  }
  return std::make_unique<SessionGate>(std::move(options), std::move(verifier), schema);
}

absl::StatusOr<SessionGate::Pass> SessionGate::Admit(const grpc::CallbackServerContext& context,
                                                     bool counted) {
  if (!counted) RETURN_IF_ERROR(CheckCallIsAlive(context));
  if (!verifier_) return Pass(nullptr, std::nullopt, "anonymous");
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send metadata 'authorization: Bearer <token>'");
  }
  ASSIGN_OR_RETURN(auth::Claims claims,
                   verifier_->Verify(std::string_view(it->second.data(), it->second.size())));
  std::string who = absl::StrCat(AV(auth::RoleName(claims.role)), ":", claims.subject);
  SessionGate* slot = nullptr;
  if (counted) {
    absl::MutexLock lock(&mu_);
    size_t& open = sessions_[claims.subject];
    if (open >= options_.max_sessions_per_subject) {
      return absl::ResourceExhaustedError(
          absl::StrCat("subject '", claims.subject, "' already has ", open,
                       " sessions open, the most this server allows"));
    }
    ++open;
    slot = this;
  }
  Pass pass(nullptr, auth::Scope(std::move(claims), schema_), std::move(who));
  if (slot != nullptr) {
    pass.gate_ = std::unique_ptr<SessionGate, Pass::Release>(
        slot, Pass::Release{pass.scope_->claims().subject});
  }
  return pass;
}

absl::Status SessionGate::CheckCallIsAlive(const grpc::CallbackServerContext& context) const {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  const bool has_deadline = deadline != std::chrono::system_clock::time_point::max();
  const absl::Time now = options_.verifier.clock ? options_.verifier.clock() : absl::Now();
  if (context.IsCancelled() || (has_deadline && absl::FromChrono(deadline) <= now)) {
    return absl::DeadlineExceededError(
        "the call was cancelled or its deadline passed before the server started it; nothing "
        "was done");
  }
  return absl::OkStatus();
}

void SessionGate::ReleaseSlot(const std::string& subject) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(subject);
  if (it == sessions_.end()) return;
  if (--it->second == 0) sessions_.erase(it);
}

}  // namespace rapport::server
