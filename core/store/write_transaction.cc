#include "core/store/write_transaction.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"

namespace rapport::store {
namespace {

absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

WriteTransaction::WriteTransaction(Deps deps, crdt::Hlc clock, uint64_t last_seq, uint64_t wall_ms)
    : deps_(deps),
      clock_(clock),
      initial_clock_(clock),
      initial_last_seq_(last_seq),
      next_seq_(last_seq + 1),
      wall_ms_(wall_ms) {}

WriteTransaction::~WriteTransaction() = default;

absl::StatusOr<WriteTransaction::Cached*> WriteTransaction::Load(const crdt::RecordId& id) {
  if (auto it = cache_.find(id); it != cache_.end()) {
    return it->second->purged ? nullptr : it->second.get();
  }
  ASSIGN_OR_RETURN(std::optional<std::string_view> bytes,
                   deps_.txn.Get(deps_.tables.records, id.bytes()));
  if (!bytes) return nullptr;
  ASSIGN_OR_RETURN(crdt::Record record, layout::DecodeStoredRecord(id.bytes(), *bytes));
  auto cached = std::make_unique<Cached>();
  cached->record = std::move(record);
  cached->stored = true;
  cached->old_seq = cached->record.MaxSeq();
  Cached* out = cached.get();
  cache_.emplace(id, std::move(cached));
  return out;
}

std::vector<IndexEntry> WriteTransaction::Postings(const crdt::Record& record) const {
  // Deleted and erased records are invisible to queries, whatever the extractor says.
  if (!deps_.indexes || record.deleted() || record.erased()) return {};
  std::vector<IndexEntry> out = deps_.indexes(record);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void WriteTransaction::Touch(Cached& c) {
  if (c.seq != 0) return;
  c.seq = next_seq_++;
  if (c.stored) c.old_postings = Postings(c.record);
  touched_.push_back(&c);
}

absl::StatusOr<WriteTransaction::Created> WriteTransaction::Create(const std::string& type) {
  if (type.empty()) {
    return absl::InvalidArgumentError("cannot create a record with an empty type name");
  }
  // 80 random bits make a collision practically impossible; checking costs one lookup and
  // turns the impossible into an error instead of a silent overwrite.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::array<uint8_t, 10> random;
    for (uint8_t& b : random) b = absl::Uniform<uint8_t>(deps_.rng);
    const crdt::RecordId id = crdt::RecordId::FromParts(wall_ms_, random);
    ASSIGN_OR_RETURN(Cached * existing, Load(id));
    if (existing != nullptr) continue;
    auto cached = std::make_unique<Cached>();
    cached->record = crdt::Record(id, type);
    cached->joined = true;
    Cached& c = *cached;
    cache_.emplace(id, std::move(cached));
    Touch(c);
    c.edit = std::make_unique<crdt::RecordEdit>(c.record, deps_.replica, clock_, wall_ms_, c.seq);
    return Created{id, c.edit.get()};
  }
  return absl::InternalError("could not draw an unused record id in 4 attempts");
}

absl::StatusOr<crdt::RecordEdit*> WriteTransaction::Edit(const crdt::RecordId& id) {
  ASSIGN_OR_RETURN(Cached * c, Load(id));
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("record ", id.ToString(), " not found"));
  }
  Touch(*c);
  if (c->edit == nullptr) {
    c->edit =
        std::make_unique<crdt::RecordEdit>(c->record, deps_.replica, clock_, wall_ms_, c->seq);
  }
  return c->edit.get();
}

absl::Status WriteTransaction::ApplyRemote(const crdt::Record& delta) {
  if (delta.id().is_nil()) {
    return absl::InvalidArgumentError("remote delta has no record id");
  }
  clock_.Observe(delta.MaxHlc());
  ASSIGN_OR_RETURN(Cached * c, Load(delta.id()));
  if (c == nullptr) {
    crdt::Record fresh(delta.id(), "");
    if (!fresh.Join(delta, next_seq_)) return absl::OkStatus();
    auto cached = std::make_unique<Cached>();
    cached->record = std::move(fresh);
    cached->joined = true;
    c = cached.get();
    cache_.insert_or_assign(delta.id(), std::move(cached));  // may replace a purged entry
    Touch(*c);
    return absl::OkStatus();
  }
  if (c->seq != 0) {
    c->joined |= c->record.Join(delta, c->seq);
    return absl::OkStatus();
  }
  // Untouched: join first, and only a join that changed something costs a seq. The old
  // postings must come from the state before the join.
  std::vector<IndexEntry> before = Postings(c->record);
  if (!c->record.Join(delta, next_seq_)) return absl::OkStatus();
  c->joined = true;
  c->seq = next_seq_++;
  c->old_postings = std::move(before);
  touched_.push_back(c);
  return absl::OkStatus();
}

absl::Status WriteTransaction::Purge(const crdt::RecordId& id) {
  ASSIGN_OR_RETURN(Cached * c, Load(id));
  if (c == nullptr) return absl::OkStatus();
  if (c->seq != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "record ", id.ToString(), " was changed in this transaction and cannot be purged in it"));
  }
  const std::string key(id.bytes());
  RETURN_IF_ERROR(deps_.txn.Delete(deps_.tables.records, key).status());
  if (c->old_seq != 0) {
    RETURN_IF_ERROR(deps_.txn.Delete(deps_.tables.changes, layout::EncodeU64(c->old_seq)).status());
  }
  for (const IndexEntry& e : Postings(c->record)) {
    ASSIGN_OR_RETURN(std::optional<uint32_t> number, IndexNumber(e.index, /*assign=*/false));
    if (!number) continue;
    RETURN_IF_ERROR(
        deps_.txn.Delete(deps_.tables.indexes, layout::PostingKey(*number, e.key, id)).status());
  }
  c->purged = true;
  purged_.push_back(id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<crdt::Record>> WriteTransaction::Get(const crdt::RecordId& id) {
  ASSIGN_OR_RETURN(Cached * c, Load(id));
  if (c == nullptr) return std::nullopt;
  return c->record;
}

absl::Status WriteTransaction::PutAux(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > deps_.max_key_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("aux key must be 1 to ", deps_.max_key_size, " bytes, got ", key.size()));
  }
  return deps_.txn.Put(deps_.tables.aux, key, value);
}

absl::Status WriteTransaction::DeleteAux(std::string_view key) {
  if (key.empty() || key.size() > deps_.max_key_size) return absl::OkStatus();
  return deps_.txn.Delete(deps_.tables.aux, key).status();
}

absl::StatusOr<std::optional<std::string>> WriteTransaction::GetAux(std::string_view key) {
  if (key.empty() || key.size() > deps_.max_key_size) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, deps_.txn.Get(deps_.tables.aux, key));
  if (!bytes) return std::nullopt;
  return std::string(*bytes);
}

absl::Status WriteTransaction::SetPeer(const std::string& peer, const PeerCheckpoint& checkpoint) {
  if (peer.empty() || peer.size() > deps_.max_key_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer id must be 1 to ", deps_.max_key_size, " bytes, got ", peer.size()));
  }
  return deps_.txn.Put(deps_.tables.peers, peer, layout::EncodePeer(checkpoint));
}

absl::StatusOr<PeerCheckpoint> WriteTransaction::GetPeer(const std::string& peer) {
  if (peer.empty()) return PeerCheckpoint{};
  ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, deps_.txn.Get(deps_.tables.peers, peer));
  if (!bytes) return PeerCheckpoint{};
  std::optional<PeerCheckpoint> checkpoint = layout::DecodePeer(*bytes);
  if (!checkpoint) {
    return absl::DataLossError(
        absl::StrCat("peer '", peer, "' in table 'peers' has a malformed checkpoint"));
  }
  return *checkpoint;
}

absl::Status WriteTransaction::WriteRecord(Cached& c) {
  crdt::Record& r = c.record;
  // A change with no field to carry its seq (a record created without values, or made by a
  // delta holding only its id and type) is recorded on the record-level delete register, so
  // that MaxSeq() always equals the record's `changes` key: the next write finds the entry
  // to move from the record alone. Its delta then carries that register, which is harmless.
  if (r.MaxSeq() < c.seq) r.mutable_deleted_field().set_seq(c.seq);
  layout::EncodeStoredRecord(r, &encoded_);
  RETURN_IF_ERROR(deps_.txn.PutMostlyAppending(deps_.tables.records, r.id().bytes(), encoded_));
  // A store left inconsistent by some older bug merely lacks the stale entry; nothing to fix.
  if (c.old_seq != 0) {
    RETURN_IF_ERROR(deps_.txn.Delete(deps_.tables.changes, layout::EncodeU64(c.old_seq)).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint32_t>> WriteTransaction::IndexNumber(std::string_view index,
                                                                      bool assign) {
  if (auto it = index_numbers_.find(AbslView(index)); it != index_numbers_.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string_view> stored,
                   deps_.txn.Get(deps_.tables.meta, layout::IndexNumberKey(index)));
  std::optional<uint64_t> number;
  if (stored) {
    number = layout::DecodeU64(*stored);
    if (!number || *number == 0 || *number > UINT32_MAX) {
      return absl::DataLossError(
          absl::StrCat("index '", AbslView(index), "' has a malformed number in table 'meta'"));
    }
  } else {
    if (!assign) return std::nullopt;
    ASSIGN_OR_RETURN(std::optional<std::string_view> count_bytes,
                     deps_.txn.Get(deps_.tables.meta, layout::kMetaIndexCount));
    const uint64_t count = count_bytes ? layout::DecodeU64(*count_bytes).value_or(0) : 0;
    if (count >= UINT32_MAX) return absl::ResourceExhaustedError("no index number is left");
    number = count + 1;
    RETURN_IF_ERROR(
        deps_.txn.Put(deps_.tables.meta, layout::kMetaIndexCount, layout::EncodeU64(*number)));
    RETURN_IF_ERROR(deps_.txn.Put(deps_.tables.meta, layout::IndexNumberKey(index),
                                  layout::EncodeU64(*number)));
  }
  index_numbers_.emplace(std::string(index), static_cast<uint32_t>(*number));
  return static_cast<uint32_t>(*number);
}

absl::Status WriteTransaction::CollectPostings(const Cached& c, PostingChanges& out) {
  const std::vector<IndexEntry> now = Postings(c.record);
  std::vector<IndexEntry> gone, added;
  std::set_difference(c.old_postings.begin(), c.old_postings.end(), now.begin(), now.end(),
                      std::back_inserter(gone));
  std::set_difference(now.begin(), now.end(), c.old_postings.begin(), c.old_postings.end(),
                      std::back_inserter(added));
  const crdt::RecordId& id = c.record.id();
  for (const IndexEntry& e : gone) {
    ASSIGN_OR_RETURN(std::optional<uint32_t> number, IndexNumber(e.index, /*assign=*/false));
    if (number) out.gone.push_back(layout::PostingKey(*number, e.key, id));
  }
  for (const IndexEntry& e : added) {
    if (!layout::ValidIndexName(e.index)) {
      return absl::InvalidArgumentError(absl::StrCat("record ", id.ToString(), ": index name '",
                                                     AbslView(e.index),
                                                     "' must be non-empty and contain no NUL"));
    }
    ASSIGN_OR_RETURN(std::optional<uint32_t> number, IndexNumber(e.index, /*assign=*/true));
    std::string key = layout::PostingKey(*number, e.key, id);
    if (key.size() > deps_.max_key_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("record ", id.ToString(), ": key of index '", AbslView(e.index), "' is ",
                       e.key.size(), " bytes; postings are limited to ", deps_.max_key_size,
                       " bytes including the index number and the 16-byte record id"));
    }
    out.added.push_back(std::move(key));
  }
  return absl::OkStatus();
}

absl::StatusOr<ChangeSet> WriteTransaction::Finish() {
  ChangeSet out;
  out.last_seq = initial_last_seq_;
  out.purged = purged_;
  std::vector<Cached*> changed;
  changed.reserve(touched_.size());
  for (Cached* c : touched_) {
    if (c->joined || (c->edit != nullptr && c->edit->changed())) changed.push_back(c);
  }
  // Records in id order: records created here have time-ordered ids above every stored one, so
  // they are appended and fill their pages (in touch order they split pages half-empty).
  std::vector<Cached*> by_id = changed;
  std::sort(by_id.begin(), by_id.end(),
            [](const Cached* a, const Cached* b) { return a->record.id() < b->record.id(); });
  PostingChanges postings;
  for (Cached* c : by_id) {
    RETURN_IF_ERROR(WriteRecord(*c));
    RETURN_IF_ERROR(CollectPostings(*c, postings));
  }
  // Postings land all over the index; in key order each B-tree page is reached once, while it is
  // still in cache, instead of once per posting at random.
  std::sort(postings.gone.begin(), postings.gone.end());
  std::sort(postings.added.begin(), postings.added.end());
  for (const std::string& key : postings.gone) {
    RETURN_IF_ERROR(deps_.txn.Delete(deps_.tables.indexes, key).status());
  }
  for (const std::string& key : postings.added) {
    RETURN_IF_ERROR(deps_.txn.Put(deps_.tables.indexes, key, ""));
  }
  // Seqs only grow, so the feed entries always append.
  for (Cached* c : changed) {
    RETURN_IF_ERROR(deps_.txn.PutMostlyAppending(deps_.tables.changes, layout::EncodeU64(c->seq),
                                                 c->record.id().bytes()));
    out.changed.push_back(c->record.id());
    out.last_seq = c->seq;
  }
  if (out.last_seq != initial_last_seq_) {
    RETURN_IF_ERROR(
        deps_.txn.Put(deps_.tables.meta, layout::kMetaLastSeq, layout::EncodeU64(out.last_seq)));
  }
  if (clock_.last() != initial_clock_) {
    RETURN_IF_ERROR(
        deps_.txn.Put(deps_.tables.meta, layout::kMetaClock, layout::EncodeU64(clock_.last())));
  }
  return out;
}

}  // namespace rapport::store
