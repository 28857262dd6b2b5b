#include "server/pull_batcher.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "core/crdt/record_codec.h"
#include "core/status_macros.h"

namespace rapport::server {

absl::StatusOr<PullBatch> RefetchBatch(const store::RecordStore& store,
                                       const std::vector<crdt::RecordId>& ids,
                                       store::FeedCheckpoint from, const PullFilter& filter) {
  PullBatch batch;
  rapport::v1::Pull* pull = batch.message.mutable_pull();
  for (const crdt::RecordId& id : ids) {
    ASSIGN_OR_RETURN(std::optional<crdt::Record> record, store.Get(id));
    if (!record || (filter.in_scope && !filter.in_scope(*record))) continue;
    crdt::RecordToProto(record->DeltaSince(0), pull->add_deltas());
    batch.sent.push_back(id);
  }
  batch.records = pull->deltas_size();
  pull->set_checkpoint(from.base);
  pull->set_position(from.position);
  batch.next = from;
  return batch;
}

absl::StatusOr<PullBatch> NextPullBatch(const store::RecordStore& store, store::FeedCheckpoint from,
                                        size_t max_bytes, const PullFilter& filter) {
  PullBatch batch;
  rapport::v1::Pull* pull = batch.message.mutable_pull();
  // Read before scanning: every seq up to `head` belongs to a record whose entry the scan
  // reaches (an entry only ever moves to a higher seq, and the scan runs to the feed's end).
  const uint64_t head = store.last_seq();
  size_t bytes = 0;
  uint64_t scanned = from.position;
  bool full = false;
  // A record the client may not see: revoke it if the client holds it, else skip it.
  auto out_of_scope = [&](const crdt::RecordId& id, uint64_t seq) {
    if (filter.held_by_client && filter.held_by_client(id)) {
      const std::string_view bytes_of_id = id.bytes();
      pull->add_revocations(std::string(bytes_of_id));
      bytes += bytes_of_id.size();
    }
    scanned = seq;
    return bytes < max_bytes;
  };
  auto offer = [&](const crdt::Record& record, uint64_t seq) {
    if (filter.in_scope && !filter.in_scope(record)) return out_of_scope(record.id(), seq);
    if (filter.pushed != nullptr && filter.pushed->Covers(record.id(), seq, from.base)) {
      ++batch.skipped_echoes;
      scanned = seq;
      return true;
    }
    // A record the client was never sent (it just entered the client's scope, e.g. by a
    // reassignment) goes whole: the client lacks its parts from before the base too.
    const bool whole =
        from.base > 0 && filter.held_by_client && !filter.held_by_client(record.id());
    rapport::v1::RecordState state;
    crdt::RecordToProto(record.DeltaSince(whole ? 0 : from.base), &state);
    const size_t size = state.ByteSizeLong();
    if (bytes > 0 && bytes + size > max_bytes) {
      full = true;
      return false;
    }
    bytes += size;
    *pull->add_deltas() = std::move(state);
    batch.sent.push_back(record.id());
    scanned = seq;
    return true;
  };
  if (!filter.in_scope) {
    RETURN_IF_ERROR(store.ScanFeed(from.position, std::numeric_limits<size_t>::max(), offer));
  } else {
    // Scoped: read only the records the scope may contain.
    absl::Status failed;
    RETURN_IF_ERROR(
        store.ScanFeedIds(from.position, std::numeric_limits<size_t>::max(),
                          [&](const crdt::RecordId& id, uint64_t seq) {
                            if (filter.known_in_scope) {
                              const std::optional<bool> known = filter.known_in_scope(id, seq);
                              if (known.has_value() && !*known) return out_of_scope(id, seq);
                            }
                            absl::StatusOr<std::optional<crdt::Record>> record = store.Get(id);
                            if (!record.ok()) {
                              failed = record.status();
                              return false;
                            }
                            if (!record->has_value()) {  // purged since the scan read its entry
                              scanned = seq;
                              return true;
                            }
                            if (filter.learn) filter.learn(**record);
                            // The record may have changed since its entry was read: offer what it
                            // is now (its new entry, further on, is visited again).
                            return offer(**record, seq);
                          }));
    RETURN_IF_ERROR(failed);
  }
  batch.records = pull->deltas_size();
  if (full || batch.records > 0 || pull->revocations_size() > 0) {
    pull->set_checkpoint(from.base);
    pull->set_position(scanned);
    batch.next = {from.base, scanned};
    return batch;
  }
  // The scan reached the end of the feed with nothing (left) to send: every record's entry is
  // at or below `caught`, and each was sent (or is had, or is out of scope) since the base.
  const uint64_t caught = std::max({from.position, scanned, head});
  batch.message.Clear();
  batch.message.mutable_caught_up()->set_checkpoint(caught);
  batch.next = store::FeedCheckpoint::At(caught);
  return batch;
}

}  // namespace rapport::server
