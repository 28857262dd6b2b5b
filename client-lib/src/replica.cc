// Replica: open, batch writes and observers. Reads are in replica_read.cc.
#include "rapport/replica.h"

#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client-lib/src/convert.h"
#include "client-lib/src/replica_history.h"
#include "client-lib/src/replica_internal.h"
#include "core/schema/validation.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport {
namespace {

using schema::FieldSpec;

// Prefixes `status` with the mutation it came from, keeping its code.
absl::Status AtMutation(size_t index, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("mutation ", index, ": ", status.message()));
}

// Applies one batch inside one write transaction.
class BatchApplier {
 public:
  BatchApplier(const schema::Schema& schema, store::WriteTransaction& txn,
               const std::string& author, ChangeSummary& out)
      : schema_(schema), txn_(txn), out_(out), history_(schema, txn, author) {}

  absl::Status Run(const std::vector<Mutation>& mutations) {
    for (size_t i = 0; i < mutations.size(); ++i) {
      absl::Status s = ApplyOne(mutations[i]);
      if (!s.ok()) return AtMutation(i, s);
    }
    RETURN_IF_ERROR(history_.Finish());
    for (const crdt::RecordId& id : check_required_) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> record, txn_.Get(id));
      if (record.has_value()) RETURN_IF_ERROR(schema_.ValidateRequired(*record));
    }
    return absl::OkStatus();
  }

 private:
  // What the batch knows of a record it touches, looked up once per record: an import batch
  // has many mutations per record, and each names it.
  struct Known {
    std::string type;
    std::string id_text;
  };
  struct Target {
    crdt::RecordId id;
    const std::string& id_text;  // in known_, which outlives every Target
    const std::string& type;
    crdt::RecordEdit* edit;
    bool created;  // in this batch
  };

  absl::StatusOr<Target> Resolve(const std::string& ref) {
    crdt::RecordId id;
    bool created = false;
    if (!ref.empty() && ref[0] == '@') {
      size_t n = 0;
      if (!absl::SimpleAtoi(absl::string_view(ref).substr(1), &n) || n >= created_.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("record reference \"", ref, "\" names no record created earlier in ",
                         "this batch (", created_.size(), " so far)"));
      }
      id = created_[n];
      created = true;
    } else {
      ASSIGN_OR_RETURN(id, crdt::RecordId::Parse(ref));
    }
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, txn_.Edit(id));
    auto it = known_.find(id);
    if (it == known_.end()) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> record, txn_.Get(id));
      it = known_.emplace(id, Known{record.has_value() ? record->type() : "", id.ToString()}).first;
    }
    return Target{id, it->second.id_text, it->second.type, edit, created};
  }

  absl::StatusOr<crdt::Dot> ResolveEntry(const std::string& ref) {
    if (!ref.empty() && ref[0] == '@') {
      for (size_t n = 0; n < entries_.size(); ++n) {
        if (ref == absl::StrCat("@", n)) return entries_[n];
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "entry reference \"", ref, "\" names no entry appended earlier in this batch"));
    }
    return internal::ParseEntryId(ref);
  }

  // The field at `path` of `type`, which must be of `kind`.
  absl::StatusOr<const FieldSpec*> Spec(const Target& t, std::string_view path,
                                        crdt::FieldKind kind, const char* kind_name) {
    const FieldSpec* spec = schema_.FindField(t.type, path);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("record ", t.id_text, ": type \"", t.type,
                                                     "\" has no field \"", AV(path), "\""));
    }
    if (spec->kind() != kind) {
      return absl::InvalidArgumentError(absl::StrCat("record ", t.id_text, ": field \"", AV(path),
                                                     "\" is not a ", kind_name, " field"));
    }
    return spec;
  }

  absl::StatusOr<crdt::Scalar> Checked(const Target& t, std::string_view path, const Value& value) {
    crdt::Scalar scalar = internal::ToScalar(value);
    RETURN_IF_ERROR(schema_.ValidateValue(t.type, path, scalar, t.id_text));
    return scalar;
  }

  // Splits "container.sub" and returns the container's spec (of `kind`) and the sub-field's.
  absl::StatusOr<std::pair<const FieldSpec*, const FieldSpec*>> Nested(const Target& t,
                                                                       const std::string& path,
                                                                       crdt::FieldKind kind,
                                                                       const char* kind_name) {
    size_t dot = path.find('.');
    if (dot == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("record ", t.id_text, ": field path \"", path,
                                                     "\" must be \"<", kind_name, ">.<field>\""));
    }
    ASSIGN_OR_RETURN(const FieldSpec* container,
                     Spec(t, std::string_view(path).substr(0, dot), kind, kind_name));
    ASSIGN_OR_RETURN(const FieldSpec* sub, Spec(t, path, crdt::FieldKind::kValue, "value"));
    return std::make_pair(container, sub);
  }

  absl::Status ApplyOne(const Mutation& m) {
    using Op = Mutation::Op;
    if (m.op == Op::kCreate) return Create(m);
    ASSIGN_OR_RETURN(Target t, Resolve(m.record));
    switch (m.op) {
      case Op::kCreate:
        break;
      case Op::kSet: {
        if (m.field.find('.') != std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("record ", t.id_text, ": Set takes a top-level field, not \"", m.field,
                           "\" (use AmendEntry or SetInMap)"));
        }
        ASSIGN_OR_RETURN(const FieldSpec* spec, Spec(t, m.field, crdt::FieldKind::kValue, "value"));
        ASSIGN_OR_RETURN(crdt::Scalar scalar, Checked(t, m.field, m.value));
        RETURN_IF_ERROR(history_.OnSet(t.id, t.type, t.created, *spec, scalar));
        return t.edit->Set(spec->number(), std::move(scalar));
      }
      case Op::kIncrement: {
        ASSIGN_OR_RETURN(const FieldSpec* spec,
                         Spec(t, m.field, crdt::FieldKind::kCounter, "counter"));
        return t.edit->Increment(spec->number(), m.amount);
      }
      case Op::kAddElement:
      case Op::kRemoveElement: {
        ASSIGN_OR_RETURN(const FieldSpec* spec, Spec(t, m.field, crdt::FieldKind::kSet, "set"));
        if (m.op == Op::kRemoveElement) return t.edit->RemoveElement(spec->number(), m.key);
        RETURN_IF_ERROR(schema::ValidateSetElement(*spec, m.key, t.id_text));
        return t.edit->AddElement(spec->number(), m.key);
      }
      case Op::kAppendEntry: {
        ASSIGN_OR_RETURN(const FieldSpec* spec,
                         Spec(t, m.field, crdt::FieldKind::kTimeline, "timeline"));
        std::vector<std::pair<crdt::FieldId, crdt::Scalar>> values;
        ASSIGN_OR_RETURN(crdt::Scalar at, Checked(t, m.field + ".occurred_at", m.occurred_at));
        values.emplace_back(crdt::Timeline::kOccurredAt, std::move(at));
        for (const auto& [name, value] : m.values) {
          const std::string path = absl::StrCat(m.field, ".", name);
          ASSIGN_OR_RETURN(const FieldSpec* sub, Spec(t, path, crdt::FieldKind::kValue, "value"));
          if (sub->implicit()) {
            return absl::InvalidArgumentError(absl::StrCat("record ", t.id_text, ": field \"", path,
                                                           "\" is set by the timeline itself"));
          }
          ASSIGN_OR_RETURN(crdt::Scalar scalar, Checked(t, path, value));
          values.emplace_back(sub->number(), std::move(scalar));
        }
        ASSIGN_OR_RETURN(crdt::Dot dot, t.edit->AppendEntry(spec->number(), values));
        history_.AppendedTo(t.id, *spec);
        entries_.push_back(dot);
        out_.entries.push_back(internal::EntryIdText(dot));
        check_required_.insert(t.id);
        return absl::OkStatus();
      }
      case Op::kAmendEntry: {
        ASSIGN_OR_RETURN(auto specs, Nested(t, m.field, crdt::FieldKind::kTimeline, "timeline"));
        ASSIGN_OR_RETURN(crdt::Dot entry, ResolveEntry(m.entry));
        ASSIGN_OR_RETURN(crdt::Scalar scalar, Checked(t, m.field, m.value));
        return t.edit->AmendEntry(specs.first->number(), entry, specs.second->number(),
                                  std::move(scalar));
      }
      case Op::kRetractEntry: {
        ASSIGN_OR_RETURN(const FieldSpec* spec,
                         Spec(t, m.field, crdt::FieldKind::kTimeline, "timeline"));
        ASSIGN_OR_RETURN(crdt::Dot entry, ResolveEntry(m.entry));
        return t.edit->RetractEntry(spec->number(), entry);
      }
      case Op::kSetInMap: {
        ASSIGN_OR_RETURN(auto specs, Nested(t, m.field, crdt::FieldKind::kMap, "map"));
        ASSIGN_OR_RETURN(crdt::Scalar scalar, Checked(t, m.field, m.value));
        check_required_.insert(t.id);
        return t.edit->SetInMap(specs.first->number(), m.key, specs.second->number(),
                                std::move(scalar));
      }
      case Op::kDelete:
        return t.edit->Delete();
      case Op::kUndelete:
        return t.edit->Undelete();
    }
    return absl::InvalidArgumentError("unknown mutation op");
  }

  absl::Status Create(const Mutation& m) {
    if (schema_.FindType(m.type) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown record type \"", m.type, "\" in this schema"));
    }
    ASSIGN_OR_RETURN(store::WriteTransaction::Created created, txn_.Create(m.type));
    const Known& known =
        known_.emplace(created.id, Known{m.type, created.id.ToString()}).first->second;
    Target t{created.id, known.id_text, known.type, created.edit, true};
    created_.push_back(created.id);
    out_.created.push_back(t.id_text);
    check_required_.insert(created.id);
    for (const auto& [name, value] : m.values) {
      ASSIGN_OR_RETURN(const FieldSpec* spec, Spec(t, name, crdt::FieldKind::kValue, "value"));
      ASSIGN_OR_RETURN(crdt::Scalar scalar, Checked(t, name, value));
      RETURN_IF_ERROR(history_.OnSet(t.id, t.type, true, *spec, scalar));
      RETURN_IF_ERROR(t.edit->Set(spec->number(), std::move(scalar)));
    }
    return absl::OkStatus();
  }

  const schema::Schema& schema_;
  store::WriteTransaction& txn_;
  ChangeSummary& out_;
  std::vector<crdt::RecordId> created_;
  std::vector<crdt::Dot> entries_;
  std::map<crdt::RecordId, Known> known_;
  std::set<crdt::RecordId> check_required_;
  internal::HistoryRecorder history_;
};

std::vector<std::string> IdTexts(const std::vector<crdt::RecordId>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const crdt::RecordId& id : ids) out.push_back(id.ToString());
  return out;
}

}  // namespace

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::~Replica() = default;

absl::StatusOr<std::unique_ptr<Replica>> Replica::Open(const std::string& path,
                                                       OpenOptions options) {
  auto impl =
      std::make_unique<Impl>(Impl{schema::Schema::DefaultCustomer(), nullptr, options.author});
  if (!options.schema_text.empty()) {
    ASSIGN_OR_RETURN(impl->schema, schema::Schema::Parse(options.schema_text));
  } else if (!options.schema_path.empty()) {
    ASSIGN_OR_RETURN(impl->schema, schema::Schema::LoadFile(options.schema_path));
  }
  store::StoreOptions store_options;
  store_options.indexes = impl->schema.Indexer();
  store_options.schema_hash = impl->schema.Hash();
  if (options.wall_clock_ms) {
    store_options.wall_clock_ms = [clock = std::move(options.wall_clock_ms)] {
      return static_cast<uint64_t>(clock());
    };
  }
  ASSIGN_OR_RETURN(impl->store, store::RecordStore::Open(path, std::move(store_options)));
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

std::string Replica::replica_id() const {
  return internal::ReplicaIdText(impl_->store->replica_id());
}

absl::StatusOr<ChangeSummary> Replica::Apply(const std::vector<Mutation>& mutations) {
  ChangeSummary summary;
  ASSIGN_OR_RETURN(store::ChangeSet changes, impl_->store->Write([&](store::WriteTransaction& txn) {
    summary = ChangeSummary();  // the write may be rerun
    return BatchApplier(impl_->schema, txn, impl_->author, summary).Run(mutations);
  }));
  summary.changed = IdTexts(changes.changed);
  return summary;
}

absl::Status Replica::ResolveConflict(const std::string& id, const std::string& field,
                                      Value value) {
  return Apply({Mutation::Set(id, field, std::move(value))}).status();
}

int Replica::Observe(std::function<void(const std::vector<std::string>& changed_ids)> observer) {
  return impl_->store->AddObserver(
      [observer = std::move(observer)](const store::ChangeSet& changes) {
        observer(IdTexts(changes.changed));
      });
}

void Replica::Unobserve(int handle) { impl_->store->RemoveObserver(handle); }

absl::StatusOr<ReplicaInternal::Changes> ReplicaInternal::ChangesSince(const Replica& replica,
                                                                       uint64_t since) {
  Changes out;
  out.last_seq = since;
  RETURN_IF_ERROR(replica.impl_->store->ChangesSince(since, std::numeric_limits<size_t>::max(),
                                                     [&](const crdt::Record& delta, uint64_t seq) {
                                                       out.deltas.push_back(delta);
                                                       out.last_seq = seq;
                                                       return true;
                                                     }));
  return out;
}

absl::StatusOr<std::vector<std::string>> ReplicaInternal::ApplyRemoteDeltas(
    Replica& replica, const std::vector<crdt::Record>& deltas) {
  for (const crdt::Record& delta : deltas) {
    RETURN_IF_ERROR(replica.impl_->schema.ValidateDelta(delta));
  }
  ASSIGN_OR_RETURN(store::ChangeSet changes,
                   replica.impl_->store->Write([&](store::WriteTransaction& txn) {
                     for (const crdt::Record& delta : deltas) {
                       RETURN_IF_ERROR(txn.ApplyRemote(delta));
                     }
                     return absl::OkStatus();
                   }));
  return IdTexts(changes.changed);
}

}  // namespace rapport
