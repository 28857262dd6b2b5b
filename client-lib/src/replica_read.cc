// Replica reads: Get (record views), Query (index scans), ListConflicts, ForEachRecord and Info.
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client-lib/src/convert.h"
#include "client-lib/src/replica_internal.h"
#include "core/schema/index_key.h"
#include "core/schema/validation.h"
#include "core/status_macros.h"
#include "core/store/store_layout.h"
#include "rapport/replica.h"

namespace rapport {
namespace {

using schema::FieldSpec;
using schema::FieldTable;

std::string NameOf(const FieldTable* table, crdt::FieldId number) {
  const FieldSpec* spec = table != nullptr ? table->Find(number) : nullptr;
  return spec != nullptr ? spec->name() : absl::StrCat("#", number);
}

ValueView ViewOf(const crdt::ValueRegister& reg) {
  ValueView view;
  view.displayed = internal::FromScalar(reg.Displayed());
  const auto& siblings = reg.siblings();
  for (size_t i = 0; i + 1 < siblings.size(); ++i) {
    view.conflicts.push_back(internal::FromScalar(siblings[i].value));
  }
  return view;
}

// The value fields of a timeline or map entry; `skip_below` leaves out implicit fields.
ValueFields ValuesOf(const crdt::Fields& fields, const FieldTable* table,
                     crdt::FieldId skip_below) {
  ValueFields out;
  for (const auto& [number, field] : fields.entries()) {
    if (number < skip_below) continue;
    if (const auto* reg = field.As<crdt::ValueRegister>()) {
      out.emplace(NameOf(table, number), ViewOf(*reg));
    }
  }
  return out;
}

RecordView ViewOfRecord(const crdt::Record& record, const schema::Schema& schema) {
  RecordView view;
  view.id = record.id().ToString();
  view.type = record.type();
  view.deleted = record.deleted();
  view.erased = record.erased();
  const schema::RecordType* type = schema.FindType(record.type());
  const FieldTable* table = type != nullptr ? &type->field_table() : nullptr;
  for (const auto& [number, field] : record.fields().entries()) {
    const std::string name = NameOf(table, number);
    const FieldSpec* spec = table != nullptr ? table->Find(number) : nullptr;
    const FieldTable* sub = spec != nullptr ? &spec->sub_fields() : nullptr;
    if (const auto* reg = field.As<crdt::ValueRegister>()) {
      view.values.emplace(name, ViewOf(*reg));
    } else if (const auto* counter = field.As<crdt::PnCounter>()) {
      view.counters.emplace(name, counter->Value());
    } else if (const auto* set = field.As<crdt::OrSet>()) {
      auto& elements = view.sets[name];
      for (const auto& e : set->elements()) {
        if (elements.empty() || elements.back() != e.value) elements.push_back(e.value);
      }
    } else if (const auto* timeline = field.As<crdt::Timeline>()) {
      auto& entries = view.timelines[name];
      for (const crdt::Timeline::Entry* e : timeline->Ordered()) {
        EntryView entry;
        entry.id = internal::EntryIdText(e->first);
        if (const crdt::Field* at = e->second.Find(crdt::Timeline::kOccurredAt)) {
          if (const auto* reg = at->As<crdt::ValueRegister>()) {
            if (const auto* ts = std::get_if<crdt::Timestamp>(&reg->Displayed())) {
              entry.occurred_at = Timestamp{ts->millis};
            }
          }
        }
        entry.retracted = crdt::Timeline::IsRetracted(e->second);
        entry.fields = ValuesOf(e->second, sub, crdt::Timeline::kFirstUserField);
        entries.push_back(std::move(entry));
      }
    } else if (const auto* map = field.As<crdt::NestedMap>()) {
      auto& entries = view.maps[name];
      for (const auto& [key, fields] : map->entries()) {
        entries.emplace(key, ValuesOf(fields, sub, 0));
      }
    }
  }
  return view;
}

// Whether `value` has the scalar type `type` (int64 for counters).
bool TypeMatches(const Value& value, const FieldSpec& spec) {
  if (spec.kind() == crdt::FieldKind::kCounter) return std::holds_alternative<int64_t>(value);
  if (spec.kind() == crdt::FieldKind::kSet) return std::holds_alternative<std::string>(value);
  return schema::HoldsType(internal::ToScalar(value), spec.type());
}

}  // namespace

absl::StatusOr<std::optional<RecordView>> Replica::Get(const std::string& id) const {
  ASSIGN_OR_RETURN(crdt::RecordId rid, crdt::RecordId::Parse(id));
  ASSIGN_OR_RETURN(std::optional<crdt::Record> record, impl_->store->Get(rid));
  if (!record.has_value()) return std::nullopt;
  return ViewOfRecord(*record, impl_->schema);
}

absl::StatusOr<QueryResult> Replica::Query(const rapport::Query& q) const {
  using schema::IndexKind;
  const FieldSpec* spec = impl_->schema.FindField(q.type, q.index);
  if (spec == nullptr || q.index.find('.') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: type \"", q.type, "\" has no top-level field \"", q.index, "\""));
  }
  const IndexKind kind = spec->index();
  auto refuse = [&](const char* what) {
    return absl::InvalidArgumentError(absl::StrCat("query on field \"", q.index, "\": ", what));
  };
  if (kind == IndexKind::kNone) return refuse("the field is not indexed");
  if (q.limit == 0) return refuse("limit must be positive");
  auto check = [&](const Value& v) { return IsNull(v) || TypeMatches(v, *spec); };
  std::string lo, hi;
  switch (q.kind) {
    case rapport::Query::Kind::kEquals:
      if (kind == IndexKind::kMembership) return refuse("a set is queried with HasTag");
      if (IsNull(q.value) || !check(q.value)) return refuse("value of the wrong type or null");
      lo = schema::IndexKey(internal::ToScalar(q.value), kind);
      hi = lo + '\0';
      break;
    case rapport::Query::Kind::kPrefix: {
      if (kind != IndexKind::kPrefix) return refuse("prefix search needs a PREFIX index");
      const auto* text = std::get_if<std::string>(&q.value);
      if (text == nullptr) return refuse("prefix must be a string");
      lo = schema::FoldForPrefix(*text);
      hi = schema::PrefixSuccessor(lo);
      break;
    }
    case rapport::Query::Kind::kRange:
      if (kind != IndexKind::kRange && kind != IndexKind::kExact) {
        return refuse("range search needs a RANGE or EXACT index");
      }
      if (!check(q.value) || !check(q.hi)) return refuse("bound of the wrong type");
      if (!IsNull(q.value)) lo = schema::IndexKey(internal::ToScalar(q.value), kind);
      if (!IsNull(q.hi)) hi = schema::IndexKey(internal::ToScalar(q.hi), kind);
      if (!hi.empty() && hi <= lo) return QueryResult{};
      break;
    case rapport::Query::Kind::kHasTag: {
      if (kind != IndexKind::kMembership) return refuse("HasTag needs a MEMBERSHIP index");
      const auto* element = std::get_if<std::string>(&q.value);
      if (element == nullptr) return refuse("element must be a string");
      lo = *element;
      hi = lo + '\0';
      break;
    }
  }
  ASSIGN_OR_RETURN(store::QueryPage page, impl_->store->Scan(q.index, lo, hi, q.limit, q.cursor));
  QueryResult result;
  result.next_cursor = std::move(page.next_cursor);
  for (const crdt::RecordId& id : page.ids) result.ids.push_back(id.ToString());
  return result;
}

absl::StatusOr<std::vector<std::string>> Replica::ListConflicts(size_t limit) const {
  std::vector<std::string> ids;
  if (limit == 0) return ids;
  RETURN_IF_ERROR(impl_->store->ChangesSince(
      0, std::numeric_limits<size_t>::max(), [&](const crdt::Record& record, uint64_t) {
        if (!record.deleted() && !record.erased() && record.HasConflicts()) {
          ids.push_back(record.id().ToString());
        }
        return ids.size() < limit;
      }));
  return ids;
}

absl::Status Replica::ForEachRecord(const std::function<bool(const RecordView&)>& visit) const {
  return impl_->store->ChangesSince(0, std::numeric_limits<size_t>::max(),
                                    [&](const crdt::Record& record, uint64_t) {
                                      return visit(ViewOfRecord(record, impl_->schema));
                                    });
}

absl::StatusOr<StoreInfo> Replica::Info() const {
  ASSIGN_OR_RETURN(store::StoreStats stats, impl_->store->Stats());
  ASSIGN_OR_RETURN(auto peers, impl_->store->Peers(""));
  StoreInfo info;
  info.path = impl_->store->dir();
  info.replica_id = replica_id();
  info.format_version = store::layout::kFormatVersion;
  info.schema_name = impl_->schema.name();
  info.schema_version = impl_->schema.version();
  info.schema_hash = impl_->schema.Hash();
  info.last_seq = stats.last_seq;
  info.records = stats.records;
  info.postings = stats.postings;
  info.map_bytes = stats.map_bytes;
  info.used_bytes = stats.used_bytes;
  for (const auto& [id, checkpoint] : peers) {
    info.peers.push_back({id, checkpoint.pull.base, checkpoint.pull.position, checkpoint.push.base,
                          checkpoint.push.position});
  }
  return info;
}

}  // namespace rapport
