#include "client-lib/src/quarantine_store.h"

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::quarantine {

std::string QuarantineKey(const crdt::RecordId& id) {
  return absl::StrCat(kQuarantinePrefix, AV(id.bytes()));
}
std::string PulledKey(const crdt::RecordId& id) {
  return absl::StrCat(kPulledPrefix, AV(id.bytes()));
}
std::string RefetchKey(const crdt::RecordId& id) {
  return absl::StrCat(kRefetchPrefix, AV(id.bytes()));
}

std::string RevokedKey(const crdt::RecordId& id) {
  return absl::StrCat(kRevokedPrefix, AV(id.bytes()));
}

absl::StatusOr<std::optional<rapport::v1::QuarantinedChange>> Get(store::WriteTransaction& txn,
                                                                  const crdt::RecordId& id) {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn.GetAux(QuarantineKey(id)));
  if (!bytes) return std::nullopt;
  rapport::v1::QuarantinedChange entry;
  if (!entry.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("quarantine entry of record ", id.ToString(), " does not parse"));
  }
  return entry;
}

absl::Status Put(store::WriteTransaction& txn, const crdt::RecordId& id,
                 const rapport::v1::QuarantinedChange& entry) {
  return txn.PutAux(QuarantineKey(id), entry.SerializeAsString());
}

absl::Status Quarantine(store::WriteTransaction& txn, const crdt::Record& delta, int32_t code,
                        const std::string& message, int64_t now_ms) {
  ASSIGN_OR_RETURN(std::optional<rapport::v1::QuarantinedChange> existing, Get(txn, delta.id()));
  crdt::Record joined = delta;
  if (existing) {
    ASSIGN_OR_RETURN(crdt::Record earlier, crdt::RecordFromProto(existing->delta()));
    joined.Join(earlier, 0);
  }
  rapport::v1::QuarantinedChange entry;
  crdt::RecordToProto(joined, entry.mutable_delta());
  entry.set_code(code);
  entry.set_message(message);
  entry.set_refused_at_ms(now_ms);
  return Put(txn, delta.id(), entry);
}

absl::Status ForEach(
    const store::RecordStore& store,
    absl::FunctionRef<void(const crdt::RecordId& id, const rapport::v1::QuarantinedChange&)>
        visit) {
  absl::Status inner;
  RETURN_IF_ERROR(
      store.ScanAux(kQuarantinePrefix, [&](std::string_view key, std::string_view value) {
        absl::StatusOr<crdt::RecordId> id =
            crdt::RecordId::FromBytes(key.substr(sizeof(kQuarantinePrefix) - 1));
        rapport::v1::QuarantinedChange entry;
        if (!id.ok() || !entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          inner = absl::DataLossError("a quarantine entry does not parse");
          return false;
        }
        visit(*id, entry);
        return true;
      }));
  return inner;
}

namespace {

absl::StatusOr<std::vector<crdt::RecordId>> IdsUnder(const store::RecordStore& store,
                                                     std::string_view prefix) {
  std::vector<crdt::RecordId> ids;
  RETURN_IF_ERROR(store.ScanAux(prefix, [&](std::string_view key, std::string_view) {
    absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(key.substr(prefix.size()));
    if (id.ok()) ids.push_back(*id);
    return true;
  }));
  return ids;
}

}  // namespace

absl::StatusOr<std::vector<crdt::RecordId>> RefetchIds(const store::RecordStore& store) {
  return IdsUnder(store, kRefetchPrefix);
}

absl::StatusOr<std::vector<crdt::RecordId>> RevokedIds(const store::RecordStore& store) {
  return IdsUnder(store, kRevokedPrefix);
}

}  // namespace rapport::quarantine
