// rapport_sync_once (rapport/rapport_sync.h): SyncOnce behind the C API's error edge.
#include <string>

#include "absl/strings/str_cat.h"
#include "client-lib/src/c_api_internal.h"
#include "client-lib/src/json.h"
#include "client-lib/src/sync/c_sync_internal.h"
#include "rapport/rapport_sync.h"
#include "rapport/sync.h"

namespace {

std::string SummaryJson(const rapport::SyncSummary& s) {
  std::string out = absl::StrCat("{\"pushed\":", s.pushed, ",\"pulled\":", s.pulled,
                                 ",\"pulled_changed\":", s.pulled_changed, ",\"bytes\":", s.bytes,
                                 ",\"rejections\":[");
  for (size_t i = 0; i < s.rejections.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"record_id\":";
    rapport::internal::AppendJsonString(out, s.rejections[i].record_id);
    absl::StrAppend(&out, ",\"code\":", s.rejections[i].code, ",\"message\":");
    rapport::internal::AppendJsonString(out, s.rejections[i].message);
    out += '}';
  }
  return out + "]}";
}

}  // namespace

rapport_status rapport_sync_once(rapport_replica* replica, const char* address,
                                 const rapport_sync_config* config, char** out_summary) {
  using rapport::c_api::Missing;
  if (out_summary != nullptr) *out_summary = nullptr;
  return rapport::c_api::Guard([&]() -> absl::Status {
    if (replica == nullptr) return Missing("replica");
    if (address == nullptr) return Missing("address");
    rapport::SyncOptions options;
    if (config != nullptr) {
      if (config->token != nullptr) options.token = config->token;
      if (config->tls_root_ca != nullptr) options.tls_root_ca_pem = config->tls_root_ca;
      if (config->deadline_ms > 0) options.deadline_ms = config->deadline_ms;
      if (config->on_progress != nullptr) {
        const rapport_progress_fn fn = config->on_progress;
        void* context = config->progress_context;
        options.on_progress = [fn, context](const rapport::SyncProgress& p) {
          const rapport_sync_progress c = rapport::c_api::ToC(p);
          fn(&c, context);
        };
      }
    }
    absl::StatusOr<rapport::SyncSummary> summary =
        rapport::SyncOnce(*replica->replica, address, std::move(options));
    if (!summary.ok()) return summary.status();
    if (out_summary != nullptr) *out_summary = rapport::c_api::Dup(SummaryJson(*summary));
    return absl::OkStatus();
  });
}
