// Micro-benchmarks of the record model on a customer-shaped record: ~15 value fields, a tag set,
// a points counter and a 20-entry interactions timeline. Figures: docs/benchmarks.md.
#include <vector>

#include "benchmark/benchmark.h"
#include "core/crdt/local_record.h"
#include "core/crdt/record_codec.h"

namespace rapport::crdt {
namespace {

constexpr uint64_t kNow = 1'763'900'000'000;  // Nov 2025
constexpr FieldId kPoints = 190, kTags = 170, kInteractions = 310;

// With `distinct_text`, every interaction gets its own summary and author, as real notes would;
// otherwise all 20 repeat one of each, which the record encoding writes once.
Record Customer(LocalRecord& r, bool distinct_text = false) {
  const char* values[] = {"Wang Fang",
                          "021-5550-0100",
                          "wang.fang@example.cn",
                          "88 Huaihai Road",
                          "Shanghai",
                          "Wang Jun",
                          "retail",
                          "north",
                          "rep-17",
                          "B-02",
                          "CUST-000123"};
  r.Edit(kNow, [&](RecordEdit& e) {
    FieldId id = 1;
    for (const char* v : values) (void)e.Set(id++, std::string(v));
    (void)e.Set(120, EnumSymbol{"current"});
    (void)e.Set(121, EnumSymbol{"repeat"});
    (void)e.Set(122, EnumSymbol{"important"});
    (void)e.Set(11, DateFromCivil(1979, 5, 4));
    (void)e.Increment(kPoints, 1200);
    (void)e.AddElement(kTags, "vip");
    (void)e.AddElement(kTags, "wholesale");
    (void)e.AddElement(kTags, "spring-2025");
  });
  const char* kinds[] = {"visit", "call", "order", "complaint"};
  for (int i = 0; i < 20; ++i) {
    r.Edit(kNow + i * 86'400'000ull, [&](RecordEdit& e) {
      (void)e.AppendEntry(
          kInteractions, {{Timeline::kOccurredAt, Timestamp{int64_t(kNow + i * 86'400'000ull)}},
                          {3, EnumSymbol{kinds[i % 4]}},
                          {4, distinct_text ? "rep-" + std::to_string(17 + i) : "rep-17"},
                          {5, distinct_text ? "Discussed next quarter's order #" + std::to_string(i)
                                            : "Discussed next quarter's order"}});
    });
  }
  return r.record();
}

// Typical deltas from another replica: a field edit, points, or a new visit, in rotation.
std::vector<Record> TypicalDeltas(const Record& base, int n) {
  LocalRecord other(0xB, base);
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    const uint64_t wall = kNow + 30 * 86'400'000ull + i;
    out.push_back(other.Edit(wall, [&](RecordEdit& e) {
      switch (i % 3) {
        case 0:
          (void)e.Set(2, std::string("138-0013-") + std::to_string(i));
          break;
        case 1:
          (void)e.Increment(kPoints, 10);
          break;
        case 2:
          (void)e.AppendEntry(kInteractions, {{Timeline::kOccurredAt, Timestamp{int64_t(wall)}},
                                              {3, EnumSymbol{"call"}}});
          break;
      }
    }));
  }
  return out;
}

void BM_JoinTypicalDelta(benchmark::State& state) {
  LocalRecord a(0xA, Record(RecordId::FromParts(kNow, {1}), "customer"));
  const Record base = Customer(a);
  const std::vector<Record> deltas = TypicalDeltas(base, 3000);
  Record record = base;
  size_t i = 0;
  uint64_t seq = 1000;
  for (auto _ : state) {
    if (i == deltas.size()) {
      state.PauseTiming();
      record = base;
      i = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(record.Join(deltas[i++], ++seq));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JoinTypicalDelta);

void BM_JoinWholeCustomerIntoConcurrentCopy(benchmark::State& state) {
  LocalRecord a(0xA, Record(RecordId::FromParts(kNow, {1}), "customer"));
  const Record base = Customer(a);
  LocalRecord b(0xB, base);
  b.Edit(kNow + 40 * 86'400'000ull, [](RecordEdit& e) { (void)e.Set(2, std::string("x")); });
  for (auto _ : state) {
    Record copy = b.record();
    benchmark::DoNotOptimize(copy.Join(base, 5000));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JoinWholeCustomerIntoConcurrentCopy);

void BM_EncodeCustomer(benchmark::State& state) {
  LocalRecord a(0xA, Record(RecordId::FromParts(kNow, {1}), "customer"));
  const Record r = Customer(a);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string s = EncodeRecord(r);
    bytes = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
  state.counters["stored_bytes"] = static_cast<double>(EncodeRecord(r, {.with_seqs = true}).size());
  LocalRecord d(0xA, Record(RecordId::FromParts(kNow, {1}), "customer"));
  state.counters["encoded_bytes_distinct_text"] =
      static_cast<double>(EncodeRecord(Customer(d, /*distinct_text=*/true)).size());
}
BENCHMARK(BM_EncodeCustomer);

void BM_DecodeCustomer(benchmark::State& state) {
  LocalRecord a(0xA, Record(RecordId::FromParts(kNow, {1}), "customer"));
  const std::string bytes = EncodeRecord(Customer(a), {.with_seqs = true});
  for (auto _ : state) benchmark::DoNotOptimize(DecodeRecord(bytes));
}
BENCHMARK(BM_DecodeCustomer);

}  // namespace
}  // namespace rapport::crdt

BENCHMARK_MAIN();
