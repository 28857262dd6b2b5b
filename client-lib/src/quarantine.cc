// rapport/quarantine.h over the aux entries of quarantine_store.h.
#include "rapport/quarantine.h"

#include "absl/strings/str_cat.h"
#include "client-lib/src/quarantine_store.h"
#include "client-lib/src/replica_internal.h"
#include "core/status_macros.h"

namespace rapport {
namespace {

absl::StatusOr<crdt::RecordId> ParseId(const std::string& text) {
  absl::StatusOr<crdt::RecordId> id = crdt::RecordId::Parse(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a record id"));
  }
  return id;
}

absl::Status NotQuarantined(const crdt::RecordId& id) {
  return absl::NotFoundError(absl::StrCat("record ", id.ToString(), " has nothing in quarantine"));
}

}  // namespace

absl::StatusOr<std::vector<QuarantinedChange>> ListQuarantine(const Replica& replica) {
  std::vector<QuarantinedChange> out;
  const store::RecordStore& store = ReplicaInternal::Store(replica);
  RETURN_IF_ERROR(quarantine::ForEach(
      store, [&](const crdt::RecordId& id, const rapport::v1::QuarantinedChange& entry) {
        out.push_back(
            {id.ToString(), entry.code(), entry.message(), entry.refused_at_ms(), entry.retry()});
      }));
  return out;
}

absl::Status RetryQuarantined(Replica& replica, const std::string& record_id) {
  ASSIGN_OR_RETURN(const crdt::RecordId id, ParseId(record_id));
  return ReplicaInternal::Store(replica)
      .Write([&](store::WriteTransaction& txn) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<rapport::v1::QuarantinedChange> entry,
                         quarantine::Get(txn, id));
        if (!entry) return NotQuarantined(id);
        entry->set_retry(true);
        return quarantine::Put(txn, id, *entry);
      })
      .status();
}

absl::Status DiscardQuarantined(Replica& replica, const std::string& record_id) {
  ASSIGN_OR_RETURN(const crdt::RecordId id, ParseId(record_id));
  return ReplicaInternal::Store(replica)
      .Write([&](store::WriteTransaction& txn) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<rapport::v1::QuarantinedChange> entry,
                         quarantine::Get(txn, id));
        if (!entry) return NotQuarantined(id);
        RETURN_IF_ERROR(txn.DeleteAux(quarantine::QuarantineKey(id)));
        // The local copy still holds the refused change; the server's copy replaces it.
        RETURN_IF_ERROR(txn.Purge(id));
        return txn.PutAux(quarantine::RefetchKey(id), "");
      })
      .status();
}

}  // namespace rapport
