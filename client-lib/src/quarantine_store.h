// The sync client's aux entries: the quarantine of refused pushes ("quarantine/" + the record
// id's bytes, value a rapport.v1.QuarantinedChange), the records to fetch again ("refetch/"),
// the marks of records that only changed by pulls ("pulled/"), and the records the server revoked
// while they held unacknowledged local changes ("revoked/": purged once those are pushed).
// Shared by the sync session,
// which fills and drains it, and the public API (rapport/quarantine.h), which lists, retries and
// discards. docs/security.md.
//
// Free functions over a store or a write transaction; thread-safe as the store is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/crdt/record_id.h"
#include "core/store/record_store.h"
#include "rapport/v1/quarantine.pb.h"

namespace rapport::quarantine {

std::string QuarantineKey(const crdt::RecordId& id);
std::string RefetchKey(const crdt::RecordId& id);
// "pulled/" + id bytes -> the record's seq (8 bytes BE) after a pull that left it holding
// nothing unacknowledged: the push round skips the record while its feed entry is that seq.
std::string PulledKey(const crdt::RecordId& id);
// "revoked/" + id bytes -> empty: the record left this replica's scope but holds local changes
// the server has not acknowledged; kept in the store so a cut session does not forget the purge.
std::string RevokedKey(const crdt::RecordId& id);
inline constexpr char kQuarantinePrefix[] = "quarantine/";
inline constexpr char kRefetchPrefix[] = "refetch/";
inline constexpr char kPulledPrefix[] = "pulled/";
inline constexpr char kRevokedPrefix[] = "revoked/";

// Records a refusal of `delta`, joining it into an earlier refused change of the same record.
absl::Status Quarantine(store::WriteTransaction& txn, const crdt::Record& delta, int32_t code,
                        const std::string& message, int64_t now_ms);
// The entry for `id`, or nullopt.
absl::StatusOr<std::optional<rapport::v1::QuarantinedChange>> Get(store::WriteTransaction& txn,
                                                                  const crdt::RecordId& id);
absl::Status Put(store::WriteTransaction& txn, const crdt::RecordId& id,
                 const rapport::v1::QuarantinedChange& entry);

// Every entry, in record id order.
absl::Status ForEach(
    const store::RecordStore& store,
    absl::FunctionRef<void(const crdt::RecordId& id, const rapport::v1::QuarantinedChange&)> visit);
// Ids marked for refetch.
absl::StatusOr<std::vector<crdt::RecordId>> RefetchIds(const store::RecordStore& store);
// Ids whose purge waits for their local changes to be pushed.
absl::StatusOr<std::vector<crdt::RecordId>> RevokedIds(const store::RecordStore& store);

}  // namespace rapport::quarantine
