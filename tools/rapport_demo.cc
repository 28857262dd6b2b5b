// rapport-demo: two salespeople edit the same customer offline, then their phones merge. Prints
// the merged profile with its conflicts: what `./tools/serve` shows until rapportd exists.
#include <chrono>
#include <cstdio>
#include <string>

#include "core/crdt/local_record.h"
#include "core/crdt/record_codec.h"
#include "core/schema/schema.h"

namespace {

using namespace rapport::crdt;
const rapport::schema::Schema& kSchema = rapport::schema::Schema::DefaultCustomer();

FieldId F(const char* path) { return kSchema.FindField("customer", path)->number(); }

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "demo edit failed: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
}

void PrintValue(const char* label, const Record& r, const char* path) {
  const Field* f = r.fields().Find(F(path));
  if (!f) return;
  const ValueRegister& reg = *f->As<ValueRegister>();
  std::printf("  %-16s %s", label, ScalarToText(reg.Displayed()).c_str());
  if (reg.HasConflict()) {
    std::printf("   <- CONFLICT, also:");
    for (size_t i = 0; i + 1 < reg.siblings().size(); ++i) {
      std::printf(" \"%s\"", ScalarToText(reg.siblings()[i].value).c_str());
    }
  }
  std::printf("\n");
}

}  // namespace

int main() {
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  const RecordId id = RecordId::FromParts(now, {0x52, 0x41, 0x50});
  LocalRecord li(0x1111, Record(id, "customer"));     // Li, rep in the north territory
  LocalRecord zhang(0x2222, Record(id, "customer"));  // Zhang, rep at branch B

  // Head office's import, already on both phones.
  Record created = li.Edit(now, [](RecordEdit& e) {
    Check(e.Set(F("name"), std::string("Wang Fang 王芳")));
    Check(e.Set(F("phone"), std::string("021-5550-0100")));
    Check(e.Set(F("lifecycle_stage"), EnumSymbol{"target"}));
    Check(e.AddElement(F("tags"), "vip"));
  });
  zhang.Receive(created);

  std::printf("Both phones go offline for three days.\n");
  const uint64_t day = 86'400'000;
  Record by_li = li.Edit(now + day, [&](RecordEdit& e) {
    Check(e.Set(F("phone"), std::string("138-0013-8000")));
    Check(e.Increment(F("loyalty_points"), 50));
    Check(e.RemoveElement(F("tags"), "vip"));
    Check(e.AppendEntry(F("interactions"),
                        {{Timeline::kOccurredAt, Timestamp{static_cast<int64_t>(now + day)}},
                         {F("interactions.kind"), EnumSymbol{"visit"}},
                         {F("interactions.summary"), std::string("Showed the spring catalogue")}})
              .status());
  });
  Record by_zhang = zhang.Edit(now + 2 * day, [&](RecordEdit& e) {
    Check(e.Set(F("phone"), std::string("139-0000-1111")));
    Check(e.Set(F("lifecycle_stage"), EnumSymbol{"current"}));
    Check(e.Increment(F("loyalty_points"), 30));
    Check(e.AddElement(F("tags"), "vip"));
    Check(e.AppendEntry(F("interactions"),
                        {{Timeline::kOccurredAt, Timestamp{static_cast<int64_t>(now + 2 * day)}},
                         {F("interactions.kind"), EnumSymbol{"order"}},
                         {F("interactions.summary"), std::string("First order: 200 units")}})
              .status());
  });

  std::printf("They meet again and merge, each receiving the other's delta.\n\n");
  li.Receive(by_zhang);
  zhang.Receive(by_li);

  const bool identical = EncodeRecord(li.record()) == EncodeRecord(zhang.record());
  const Record& r = li.record();
  std::printf("Merged customer %s (identical on both phones: %s)\n", id.ToString().c_str(),
              identical ? "yes" : "NO");
  PrintValue("name", r, "name");
  PrintValue("phone", r, "phone");
  PrintValue("lifecycle", r, "lifecycle_stage");
  std::printf(
      "  %-16s %lld  (50 + 30: concurrent points add up)\n", "loyalty points",
      static_cast<long long>(r.fields().Find(F("loyalty_points"))->As<PnCounter>()->Value()));
  std::printf("  %-16s", "tags");
  for (const auto& e : r.fields().Find(F("tags"))->As<OrSet>()->elements()) {
    std::printf(" %s", e.value.c_str());
  }
  std::printf("  (Zhang's concurrent re-add wins over Li's removal)\n  interactions:\n");
  for (const auto* entry : r.fields().Find(F("interactions"))->As<Timeline>()->Ordered()) {
    const Fields& f = entry->second;
    std::printf(
        "    %s  %-6s %s\n",
        ScalarToText(f.Find(Timeline::kOccurredAt)->As<ValueRegister>()->Displayed()).c_str(),
        ScalarToText(f.Find(F("interactions.kind"))->As<ValueRegister>()->Displayed()).c_str(),
        ScalarToText(f.Find(F("interactions.summary"))->As<ValueRegister>()->Displayed()).c_str());
  }
  std::printf(
      "\nThe phone conflict stays visible until someone who saw both numbers writes one.\n");
  return identical ? 0 : 1;
}
