// Schema::Indexer: the secondary-index postings of a record (store::IndexEntry).
#include <algorithm>
#include <variant>

#include "core/schema/names.h"
#include "core/schema/schema.h"
#include "core/schema/validation.h"

namespace rapport::schema {
namespace {

std::vector<store::IndexEntry> Postings(const Schema& schema, const crdt::Record& record) {
  std::vector<store::IndexEntry> out;
  const RecordType* type = schema.FindType(record.type());
  if (type == nullptr) return out;
  for (const FieldSpec& spec : type->fields()) {
    if (spec.index() == IndexKind::kNone) continue;
    const crdt::Field* field = record.fields().Find(spec.number());
    if (field == nullptr) continue;
    if (const auto* reg = field->As<crdt::ValueRegister>()) {
      // Only the displayed value: a conflicted field is found by what every replica shows.
      const crdt::Scalar& shown = reg->Displayed();
      // A value of another type cannot reach a validated store; if one does, leaving it out keeps
      // the index's key order meaningful.
      if (crdt::IsNull(shown) || !HoldsType(shown, spec.type())) continue;
      out.push_back({spec.name(), IndexKey(shown, spec.index())});
    } else if (const auto* counter = field->As<crdt::PnCounter>()) {
      out.push_back({spec.name(), IndexKey(crdt::Scalar(counter->Value()), spec.index())});
    } else if (const auto* set = field->As<crdt::OrSet>()) {
      for (const auto& element : set->elements()) {
        out.push_back({spec.name(), IndexKey(crdt::Scalar(element.value), spec.index())});
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

store::IndexExtractor Schema::Indexer() const {
  // The copy shares the immutable compiled schema, so the extractor is safe to call from any
  // thread and after this Schema object is gone.
  return [schema = *this](const crdt::Record& record) { return Postings(schema, record); };
}

}  // namespace rapport::schema
