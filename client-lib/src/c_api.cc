// The C API: converts types and stops every error at the edge (absl::Status -> code + thread-local
// message; exceptions -> RAPPORT_INTERNAL), like Couchbase Lite Core's c4CAPI.cc.
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client-lib/src/c_api_internal.h"
#include "client-lib/src/json.h"
#include "rapport/rapport.h"
#include "rapport/replica.h"

struct rapport_batch {
  rapport::Replica* replica;
  std::vector<rapport::Mutation> mutations;
  int created = 0;
  bool has_entry = false;  // the last mutation is an AppendEntry
  bool committed = false;
};

namespace {
thread_local std::string last_error;
}  // namespace

namespace rapport::c_api {

rapport_status Report(const absl::Status& status) {
  last_error = std::string(status.message());
  return static_cast<rapport_status>(status.code());
}

void SetLastError(std::string message) { last_error = std::move(message); }

}  // namespace rapport::c_api

namespace {

using rapport::Mutation;
using rapport::c_api::Dup;
using rapport::c_api::Guard;
using rapport::c_api::Missing;
using rapport::c_api::Report;

absl::StatusOr<rapport::Value> ToValue(const rapport_value& v) {
  switch (v.type) {
    case RAPPORT_VALUE_NULL:
      return rapport::Value();
    case RAPPORT_VALUE_STRING:
      if (v.text == nullptr) return Missing("string value");
      return rapport::Value(std::string(v.text));
    case RAPPORT_VALUE_INT:
      return rapport::Value(v.i);
    case RAPPORT_VALUE_DOUBLE:
      return rapport::Value(v.d);
    case RAPPORT_VALUE_BOOL:
      return rapport::Value(v.i != 0);
    case RAPPORT_VALUE_DATE:
      return rapport::Value(rapport::Date{static_cast<int32_t>(v.i)});
    case RAPPORT_VALUE_ENUM:
      if (v.text == nullptr) return Missing("enum symbol");
      return rapport::Value(rapport::EnumValue{v.text});
    case RAPPORT_VALUE_TIMESTAMP:
      return rapport::Value(rapport::Timestamp{v.i});
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown value type ", static_cast<int>(v.type)));
}

// A record reference: NULL means the last record created in the batch.
absl::StatusOr<std::string> Ref(const rapport_batch* b, const char* record) {
  if (record != nullptr) return std::string(record);
  if (b->created == 0) return Missing("record (no record was created in this batch)");
  return absl::StrCat("@", b->created - 1);
}

// Adds a mutation built by `make` from the resolved record reference.
template <typename Make>
rapport_status AddToBatch(rapport_batch* b, const char* record, Make&& make) {
  return Guard([&]() -> absl::Status {
    if (b == nullptr) return Missing("batch");
    if (b->committed) return absl::FailedPreconditionError("batch already committed");
    absl::StatusOr<std::string> ref = Ref(b, record);
    if (!ref.ok()) return ref.status();
    absl::StatusOr<Mutation> m = make(*std::move(ref));
    if (!m.ok()) return m.status();
    b->mutations.push_back(*std::move(m));
    b->has_entry = b->mutations.back().op == Mutation::Op::kAppendEntry;
    return absl::OkStatus();
  });
}

absl::Status ApplyOne(rapport_replica* r, Mutation m) {
  if (r == nullptr) return Missing("replica");
  return r->replica->Apply({std::move(m)}).status();
}

std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

}  // namespace

extern "C" {

rapport_value rapport_null(void) { return rapport_value{RAPPORT_VALUE_NULL, nullptr, 0, 0}; }
rapport_value rapport_string(const char* text) {
  return rapport_value{RAPPORT_VALUE_STRING, text, 0, 0};
}
rapport_value rapport_int(int64_t value) {
  return rapport_value{RAPPORT_VALUE_INT, nullptr, value, 0};
}
rapport_value rapport_double(double value) {
  return rapport_value{RAPPORT_VALUE_DOUBLE, nullptr, 0, value};
}
rapport_value rapport_bool(int value) {
  return rapport_value{RAPPORT_VALUE_BOOL, nullptr, value != 0, 0};
}
rapport_value rapport_date(int year, unsigned month, unsigned day) {
  return rapport_value{RAPPORT_VALUE_DATE, nullptr, rapport::Date::FromCivil(year, month, day).days,
                       0};
}
rapport_value rapport_enum(const char* symbol) {
  return rapport_value{RAPPORT_VALUE_ENUM, symbol, 0, 0};
}
rapport_value rapport_timestamp(int64_t unix_ms) {
  return rapport_value{RAPPORT_VALUE_TIMESTAMP, nullptr, unix_ms, 0};
}

const char* rapport_last_error(void) { return last_error.c_str(); }

void rapport_free(void* p) { std::free(p); }

rapport_status rapport_open(const char* path, const char* schema_path, rapport_replica** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&]() -> absl::Status {
    if (path == nullptr) return Missing("path");
    if (out == nullptr) return Missing("out");
    rapport::OpenOptions options;
    options.schema_path = Str(schema_path);
    auto replica = rapport::Replica::Open(path, std::move(options));
    if (!replica.ok()) return replica.status();
    *out = new rapport_replica{*std::move(replica)};
    return absl::OkStatus();
  });
}

void rapport_close(rapport_replica* replica) {
  if (replica == nullptr) return;
  // A hook refuses (from a sync callback, which stop would wait for): the replica stays open.
  if (Guard([&] { return replica->close_hooks.RunAll(); }) != RAPPORT_OK) return;
  delete replica;
}

rapport_status rapport_replica_id(rapport_replica* replica, char** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || out == nullptr) return Missing("replica and out");
    *out = Dup(replica->replica->replica_id());
    return absl::OkStatus();
  });
}

rapport_status rapport_batch_begin(rapport_replica* replica, rapport_batch** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || out == nullptr) return Missing("replica and out");
    *out = new rapport_batch{replica->replica.get(), {}};
    return absl::OkStatus();
  });
}

void rapport_batch_free(rapport_batch* batch) { delete batch; }

rapport_status rapport_batch_create(rapport_batch* batch, const char* type) {
  return Guard([&]() -> absl::Status {
    if (batch == nullptr || type == nullptr) return Missing("batch and type");
    if (batch->committed) return absl::FailedPreconditionError("batch already committed");
    batch->mutations.push_back(Mutation::Create(type));
    batch->created++;
    batch->has_entry = false;
    return absl::OkStatus();
  });
}

rapport_status rapport_batch_set(rapport_batch* batch, const char* record, const char* field,
                                 rapport_value value) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field == nullptr) return Missing("field");
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    return Mutation::Set(std::move(ref), field, *std::move(v));
  });
}

rapport_status rapport_batch_increment(rapport_batch* batch, const char* record, const char* field,
                                       int64_t amount) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field == nullptr) return Missing("field");
    return Mutation::Increment(std::move(ref), field, amount);
  });
}

rapport_status rapport_batch_add_element(rapport_batch* batch, const char* record,
                                         const char* field, const char* element) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field == nullptr || element == nullptr) return Missing("field and element");
    return Mutation::AddElement(std::move(ref), field, element);
  });
}

rapport_status rapport_batch_remove_element(rapport_batch* batch, const char* record,
                                            const char* field, const char* element) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field == nullptr || element == nullptr) return Missing("field and element");
    return Mutation::RemoveElement(std::move(ref), field, element);
  });
}

rapport_status rapport_batch_append_entry(rapport_batch* batch, const char* record,
                                          const char* timeline, int64_t occurred_at_ms) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (timeline == nullptr) return Missing("timeline");
    return Mutation::AppendEntry(std::move(ref), timeline, rapport::Timestamp{occurred_at_ms}, {});
  });
}

rapport_status rapport_batch_entry_set(rapport_batch* batch, const char* field,
                                       rapport_value value) {
  return Guard([&]() -> absl::Status {
    if (batch == nullptr || field == nullptr) return Missing("batch and field");
    if (batch->committed) return absl::FailedPreconditionError("batch already committed");
    if (!batch->has_entry) {
      return absl::FailedPreconditionError(
          "rapport_batch_entry_set must follow rapport_batch_append_entry");
    }
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    batch->mutations.back().values.emplace_back(field, *std::move(v));
    return absl::OkStatus();
  });
}

rapport_status rapport_batch_amend_entry(rapport_batch* batch, const char* record,
                                         const char* field_path, const char* entry,
                                         rapport_value value) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field_path == nullptr || entry == nullptr) return Missing("field_path and entry");
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    return Mutation::AmendEntry(std::move(ref), field_path, entry, *std::move(v));
  });
}

rapport_status rapport_batch_retract_entry(rapport_batch* batch, const char* record,
                                           const char* timeline, const char* entry) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (timeline == nullptr || entry == nullptr) return Missing("timeline and entry");
    return Mutation::RetractEntry(std::move(ref), timeline, entry);
  });
}

rapport_status rapport_batch_map_set(rapport_batch* batch, const char* record,
                                     const char* field_path, const char* key, rapport_value value) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    if (field_path == nullptr || key == nullptr) return Missing("field_path and key");
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    return Mutation::SetInMap(std::move(ref), field_path, key, *std::move(v));
  });
}

rapport_status rapport_batch_delete(rapport_batch* batch, const char* record) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    return Mutation::Delete(std::move(ref));
  });
}

rapport_status rapport_batch_undelete(rapport_batch* batch, const char* record) {
  return AddToBatch(batch, record, [&](std::string ref) -> absl::StatusOr<Mutation> {
    return Mutation::Undelete(std::move(ref));
  });
}

rapport_status rapport_batch_commit(rapport_batch* batch, char** out_summary) {
  if (out_summary != nullptr) *out_summary = nullptr;
  return Guard([&]() -> absl::Status {
    if (batch == nullptr) return Missing("batch");
    if (batch->committed) return absl::FailedPreconditionError("batch already committed");
    batch->committed = true;
    absl::StatusOr<rapport::ChangeSummary> summary = batch->replica->Apply(batch->mutations);
    if (!summary.ok()) return summary.status();
    if (out_summary != nullptr) {
      *out_summary = Dup(
          absl::StrCat("{\"created\":", rapport::internal::JsonStringArray(summary->created),
                       ",\"entries\":", rapport::internal::JsonStringArray(summary->entries),
                       ",\"changed\":", rapport::internal::JsonStringArray(summary->changed), "}"));
    }
    return absl::OkStatus();
  });
}

rapport_status rapport_set(rapport_replica* replica, const char* id, const char* field,
                           rapport_value value) {
  return Guard([&]() -> absl::Status {
    if (id == nullptr || field == nullptr) return Missing("id and field");
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    return ApplyOne(replica, Mutation::Set(id, field, *std::move(v)));
  });
}

rapport_status rapport_increment(rapport_replica* replica, const char* id, const char* field,
                                 int64_t amount) {
  return Guard([&]() -> absl::Status {
    if (id == nullptr || field == nullptr) return Missing("id and field");
    return ApplyOne(replica, Mutation::Increment(id, field, amount));
  });
}

rapport_status rapport_add_element(rapport_replica* replica, const char* id, const char* field,
                                   const char* element) {
  return Guard([&]() -> absl::Status {
    if (id == nullptr || field == nullptr || element == nullptr) return Missing("arguments");
    return ApplyOne(replica, Mutation::AddElement(id, field, element));
  });
}

rapport_status rapport_remove_element(rapport_replica* replica, const char* id, const char* field,
                                      const char* element) {
  return Guard([&]() -> absl::Status {
    if (id == nullptr || field == nullptr || element == nullptr) return Missing("arguments");
    return ApplyOne(replica, Mutation::RemoveElement(id, field, element));
  });
}

rapport_status rapport_delete(rapport_replica* replica, const char* id) {
  return Guard([&]() -> absl::Status {
    if (id == nullptr) return Missing("id");
    return ApplyOne(replica, Mutation::Delete(id));
  });
}

rapport_status rapport_get(rapport_replica* replica, const char* id, char** out_json) {
  if (out_json != nullptr) *out_json = nullptr;
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || id == nullptr || out_json == nullptr) return Missing("arguments");
    auto view = replica->replica->Get(id);
    if (!view.ok()) return view.status();
    if (!view->has_value()) return absl::NotFoundError(absl::StrCat("no record ", id));
    *out_json = Dup(rapport::internal::RecordViewJson(**view));
    return absl::OkStatus();
  });
}

rapport_status rapport_query(rapport_replica* replica, const char* field, rapport_query_kind kind,
                             rapport_value value, rapport_value hi, size_t limit,
                             const char* cursor, char** out_json) {
  if (out_json != nullptr) *out_json = nullptr;
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || field == nullptr || out_json == nullptr) {
      return Missing("replica, field and out_json");
    }
    rapport::Query q;
    q.index = field;
    switch (kind) {
      case RAPPORT_QUERY_EQUALS:
        q.kind = rapport::Query::Kind::kEquals;
        break;
      case RAPPORT_QUERY_PREFIX:
        q.kind = rapport::Query::Kind::kPrefix;
        break;
      case RAPPORT_QUERY_RANGE:
        q.kind = rapport::Query::Kind::kRange;
        break;
      case RAPPORT_QUERY_HAS_TAG:
        q.kind = rapport::Query::Kind::kHasTag;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("unknown query kind ", kind));
    }
    absl::StatusOr<rapport::Value> lo = ToValue(value);
    if (!lo.ok()) return lo.status();
    absl::StatusOr<rapport::Value> up = ToValue(hi);
    if (!up.ok()) return up.status();
    q.value = *std::move(lo);
    q.hi = *std::move(up);
    q.limit = limit;
    q.cursor = Str(cursor);
    auto result = replica->replica->Query(q);
    if (!result.ok()) return result.status();
    std::string json = absl::StrCat("{\"ids\":", rapport::internal::JsonStringArray(result->ids),
                                    ",\"next_cursor\":");
    rapport::internal::AppendJsonString(json, result->next_cursor);
    json.push_back('}');
    *out_json = Dup(json);
    return absl::OkStatus();
  });
}

rapport_status rapport_observe(rapport_replica* replica, rapport_observer observer, void* user_data,
                               int* out_handle) {
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || observer == nullptr || out_handle == nullptr) {
      return Missing("replica, observer and out_handle");
    }
    *out_handle =
        replica->replica->Observe([observer, user_data](const std::vector<std::string>& ids) {
          try {
            const std::string json = rapport::internal::JsonStringArray(ids);
            observer(user_data, json.c_str());
          } catch (...) {
            // Nothing may cross into the committing C++ code from here; the commit already
            // happened.
          }
        });
    return absl::OkStatus();
  });
}

void rapport_unobserve(rapport_replica* replica, int handle) {
  if (replica != nullptr) replica->replica->Unobserve(handle);
}

rapport_status rapport_list_conflicts(rapport_replica* replica, size_t limit, char** out_json) {
  if (out_json != nullptr) *out_json = nullptr;
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || out_json == nullptr) return Missing("replica and out_json");
    auto ids = replica->replica->ListConflicts(limit);
    if (!ids.ok()) return ids.status();
    *out_json = Dup(rapport::internal::JsonStringArray(*ids));
    return absl::OkStatus();
  });
}

rapport_status rapport_resolve_conflict(rapport_replica* replica, const char* id, const char* field,
                                        rapport_value value) {
  return Guard([&]() -> absl::Status {
    if (replica == nullptr || id == nullptr || field == nullptr) return Missing("arguments");
    absl::StatusOr<rapport::Value> v = ToValue(value);
    if (!v.ok()) return v.status();
    return replica->replica->ResolveConflict(id, field, *std::move(v));
  });
}

}  // extern "C"
