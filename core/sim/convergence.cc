#include "core/sim/convergence.h"

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/crdt/record_edit.h"
#include "core/sim/write_ledger.h"

namespace rapport::sim {
namespace {

using crdt::Dot;
using crdt::FieldId;
using crdt::Record;
using crdt::RecordEdit;
using crdt::RecordId;

constexpr FieldId kValueFields[] = {1, 2, 3};
constexpr FieldId kCounter = 10, kSet = 11, kTimeline = 12, kMap = 13;
constexpr FieldId kEntryText = crdt::Timeline::kFirstUserField;
constexpr int64_t kDay = 86'400'000;
constexpr uint64_t kBaseMs = 1'700'000'000'000;
// Clock skews of days in both directions, and equal clocks, on purpose.
constexpr int64_t kSkews[] = {-3 * kDay, 0, 0, 2 * kDay, -1};
const char* const kElements[] = {"a", "b", "c"};

// How deltas travel in a history: as each edit's own delta (possibly batched), by periodic
// "changes since checkpoint" sync that also relays what a replica received, or both.
enum class Mode { kPush, kRelay, kMixed };

struct Message {
  int to;
  Record delta;
  Knowledge knowledge;
  int copies_left;  // further duplicate deliveries allowed
};

struct Pending {
  Record delta;
  Knowledge knowledge;
};

struct Replica {
  crdt::ReplicaId id = 0;
  crdt::HybridClock clock;
  int64_t skew = 0;
  uint64_t seq = 0;
  std::map<RecordId, Record> records;
  std::vector<uint64_t> sent;                        // per peer: seq synced up to
  std::vector<std::map<RecordId, Pending>> batches;  // per peer: deltas joined, not yet sent
};

class History {
 public:
  History(uint64_t seed, const HistoryOptions& options)
      : rng_(seed), options_(options), ledger_(options.replicas) {
    mode_ = static_cast<Mode>(rng_() % 3);
    erasures_ = rng_() % 5 == 0;
    for (uint8_t k = 1; k <= 2; ++k) record_ids_.push_back(RecordId::FromParts(kBaseMs, {k}));
    replicas_.resize(options.replicas);
    for (int r = 0; r < options.replicas; ++r) {
      Replica& rep = replicas_[r];
      rep.id = rng_() | 1;  // distinct with overwhelming probability; never zero
      rep.skew = kSkews[rng_() % std::size(kSkews)];
      rep.sent.assign(options.replicas, 0);
      rep.batches.resize(options.replicas);
      for (const RecordId& id : record_ids_) rep.records.emplace(id, Record(id, "customer"));
    }
  }

  HistoryResult Run() {
    RunSteps();
    Heal();
    return Verify();
  }

  std::vector<Record> States(int record) const {
    std::vector<Record> out;
    for (const Replica& rep : replicas_) out.push_back(rep.records.at(record_ids_[record]));
    return out;
  }

  void RunSteps() {
    for (int step = 0; step < options_.steps; ++step) {
      AdvanceTime();
      const int action = static_cast<int>(rng_() % 100);
      const int r = Pick(options_.replicas);
      if (action < 45) {
        LocalEdit(r);
      } else if (action < 80) {
        DeliverOne();
      } else if (action < 90) {
        FlushBatch(r, Pick(options_.replicas));
      } else if (mode_ != Mode::kPush) {
        SyncSince(r, Pick(options_.replicas));
      }
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % n); }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

  void AdvanceTime() {
    // Mostly the clock stands still (equal stamps), sometimes a tick, rarely minutes.
    const int r = static_cast<int>(rng_() % 100);
    if (r < 30) now_ += 1;
    if (r >= 97) now_ += 60'000 * (1 + rng_() % 100);
  }

  void LocalEdit(int r) {
    Replica& rep = replicas_[r];
    const RecordId& id = record_ids_[Pick(2)];
    Record& record = rep.records.at(id);
    if (record.erased()) return;
    RecordEdit edit(record, rep.id, rep.clock, kBaseMs + now_ + rep.skew, ++rep.seq);
    if (erasures_ && Chance(2)) {
      edit.Erase();
      ledger_.Erase(id);
    } else {
      std::set<std::string> touched;  // one write per path per edit
      const int mutations = 1 + Pick(3);
      for (int m = 0; m < mutations; ++m) Mutate(r, record, edit, touched);
    }
    if (!edit.changed()) return;
    Publish(r, edit.Delta());
  }

  void Mutate(int r, const Record& record, RecordEdit& edit, std::set<std::string>& touched) {
    const RecordId& id = record.id();
    auto write = [&](const std::string& path, auto&& apply, const crdt::Scalar& value,
                     auto&& find_register) {
      if (!touched.insert(path).second) return;
      if (!apply().ok()) return;
      ledger_.Write(r, id, path, find_register()->siblings().back().dot, value);
    };
    auto value = [&]() -> crdt::Scalar {
      if (Chance(10)) return std::monostate{};
      return absl::StrCat("v", rng_() % 4);
    };
    const auto* timeline = [&]() -> const crdt::Timeline* {
      const crdt::Field* f = record.fields().Find(kTimeline);
      return f ? f->As<crdt::Timeline>() : nullptr;
    }();
    switch (Pick(9)) {
      case 0: {
        const FieldId f = kValueFields[Pick(3)];
        const crdt::Scalar v = value();
        write(
            FieldPath(f), [&] { return edit.Set(f, v); }, v,
            [&] { return record.fields().Find(f)->As<crdt::ValueRegister>(); });
        break;
      }
      case 1: {
        const int64_t amount = static_cast<int64_t>(rng_() % 16) - 5;
        if (edit.Increment(kCounter, amount).ok()) ledger_.Increment(id, kCounter, amount);
        break;
      }
      case 2: {
        const std::string e = kElements[Pick(3)];
        if (edit.AddElement(kSet, e).ok()) {
          const auto* set = record.fields().Find(kSet)->As<crdt::OrSet>();
          for (const auto& el : set->elements()) {
            if (el.value == e) ledger_.SetAdd(r, id, SetPath(kSet), e, el.dots.back());
          }
        }
        break;
      }
      case 3: {
        const std::string e = kElements[Pick(3)];
        if (edit.RemoveElement(kSet, e).ok()) ledger_.SetRemove(r, id, SetPath(kSet), e);
        break;
      }
      case 4: {
        const crdt::Scalar at = crdt::Timestamp{1000 * (1 + Pick(2))};
        const crdt::Scalar text = absl::StrCat("e", rng_() % 100);
        auto key =
            edit.AppendEntry(kTimeline, {{crdt::Timeline::kOccurredAt, at}, {kEntryText, text}});
        if (!key.ok()) break;
        ledger_.Append(id, kTimeline, *key);
        ledger_.Write(r, id, EntryPath(kTimeline, *key, crdt::Timeline::kOccurredAt), *key, at);
        ledger_.Write(r, id, EntryPath(kTimeline, *key, kEntryText), *key, text);
        touched.insert(EntryPath(kTimeline, *key, crdt::Timeline::kOccurredAt));
        touched.insert(EntryPath(kTimeline, *key, kEntryText));
        break;
      }
      case 5:
      case 6: {
        if (!timeline || timeline->entries().empty()) break;
        const Dot key =
            timeline->entries()[Pick(static_cast<int>(timeline->entries().size()))].first;
        const FieldId sub = Pick(2) ? kEntryText : crdt::Timeline::kRetracted;
        const crdt::Scalar v = sub == kEntryText ? value() : crdt::Scalar(Chance(70));
        write(
            EntryPath(kTimeline, key, sub), [&] { return edit.AmendEntry(kTimeline, key, sub, v); },
            v, [&] { return timeline->Find(key)->Find(sub)->As<crdt::ValueRegister>(); });
        break;
      }
      case 7: {
        const std::string key = Pick(2) ? "k1" : "k2";
        const FieldId sub = 1 + Pick(2);
        const crdt::Scalar v = value();
        write(
            MapPath(kMap, key, sub), [&] { return edit.SetInMap(kMap, key, sub, v); }, v,
            [&] {
              return record.fields()
                  .Find(kMap)
                  ->As<crdt::NestedMap>()
                  ->Find(key)
                  ->Find(sub)
                  ->As<crdt::ValueRegister>();
            });
        break;
      }
      case 8: {
        const bool del = Chance(60);
        write(
            kDeletedPath, [&] { return del ? edit.Delete() : edit.Undelete(); }, del,
            [&] { return record.deleted_field().As<crdt::ValueRegister>(); });
        break;
      }
    }
  }

  // Sends a fresh edit's delta on its way to every peer, directly or into a batch.
  void Publish(int from, const Record& delta) {
    if (mode_ == Mode::kRelay) return;
    const Knowledge knowledge = ledger_.KnowledgeFor(from, delta);
    for (int to = 0; to < options_.replicas; ++to) {
      if (to == from) continue;
      if (mode_ == Mode::kMixed && Chance(60)) continue;  // left to the relay
      if (Chance(50)) {
        Enqueue(to, delta, knowledge);
      } else {
        auto [it, fresh] =
            replicas_[from].batches[to].try_emplace(delta.id(), Pending{delta, knowledge});
        if (!fresh) {
          it->second.delta.Join(delta, 0);
          for (const auto& [path, ids] : knowledge)
            it->second.knowledge[path].insert(ids.begin(), ids.end());
        }
      }
    }
  }

  void Enqueue(int to, Record delta, Knowledge knowledge) {
    in_flight_.push_back(Message{to, std::move(delta), std::move(knowledge), 2});
  }

  void FlushBatch(int from, int to) {
    if (from == to) return;
    for (auto& [id, pending] : replicas_[from].batches[to]) {
      Enqueue(to, std::move(pending.delta), std::move(pending.knowledge));
    }
    replicas_[from].batches[to].clear();
  }

  // "Changes since checkpoint": everything `from` has changed or received since it last synced
  // with `to`, including what it relays from third replicas.
  bool SyncSince(int from, int to) {
    if (from == to) return false;
    Replica& rep = replicas_[from];
    bool sent = false;
    for (const auto& [id, record] : rep.records) {
      if (record.MaxSeq() <= rep.sent[to]) continue;
      Record delta = record.DeltaSince(rep.sent[to]);
      Knowledge knowledge = ledger_.KnowledgeFor(from, delta);
      Enqueue(to, std::move(delta), std::move(knowledge));
      sent = true;
    }
    rep.sent[to] = rep.seq;
    return sent;
  }

  void DeliverOne() {
    if (in_flight_.empty()) return;
    const size_t i = rng_() % in_flight_.size();  // any message: reordering
    Message& m = in_flight_[i];
    Receive(m);
    if (m.copies_left > 0 && Chance(15)) {
      --m.copies_left;  // duplicated: the same message stays in flight
      return;
    }
    in_flight_[i] = std::move(in_flight_.back());
    in_flight_.pop_back();
  }

  void Receive(const Message& m) {
    Replica& rep = replicas_[m.to];
    rep.clock.Observe(m.delta.MaxHlc());
    rep.records.at(m.delta.id()).Join(m.delta, ++rep.seq);
    ledger_.Learn(m.to, m.delta.id(), m.knowledge);
    ++deliveries_;
  }

  void Heal() {
    for (int from = 0; from < options_.replicas; ++from) {
      for (int to = 0; to < options_.replicas; ++to) FlushBatch(from, to);
    }
    while (!in_flight_.empty()) DeliverOne();
    if (mode_ == Mode::kPush) return;
    // Relay until quiet: each round carries changes one hop further.
    for (int round = 0; round <= options_.replicas; ++round) {
      bool any = false;
      for (int from = 0; from < options_.replicas; ++from) {
        for (int to = 0; to < options_.replicas; ++to) any |= SyncSince(from, to);
      }
      while (!in_flight_.empty()) DeliverOne();
      if (!any) break;
    }
  }

  HistoryResult Verify() {
    HistoryResult result;
    result.operations = ledger_.operations();
    result.deliveries = deliveries_;
    bool identical = true;
    for (const RecordId& id : record_ids_) {
      const std::string first = crdt::EncodeRecord(replicas_[0].records.at(id));
      for (int r = 1; r < options_.replicas; ++r) {
        if (crdt::EncodeRecord(replicas_[r].records.at(id)) != first && identical) {
          identical = false;
          result.problem =
              absl::StrCat("record ", id.ToString(), ": replicas 0 and ", r, " differ");
        }
      }
      for (int r = 0; r < options_.replicas; ++r) {
        const Verdict v = ledger_.Check(replicas_[r].records.at(id));
        if (r == 0) {
          result.lost_writes += v.lost_writes;
          result.spec_violations += v.spec_violations;
        }
        if (result.problem.empty() && !v.first_problem.empty()) {
          result.problem = absl::StrCat("replica ", r, ": ", v.first_problem);
        }
      }
    }
    result.converged = identical && result.problem.empty();
    return result;
  }

  std::mt19937_64 rng_;
  HistoryOptions options_;
  WriteLedger ledger_;
  Mode mode_;
  bool erasures_;
  uint64_t now_ = 0;
  std::vector<RecordId> record_ids_;
  std::vector<Replica> replicas_;
  std::vector<Message> in_flight_;
  int64_t deliveries_ = 0;
};

}  // namespace

uint64_t HistorySeed(uint64_t seed, uint64_t index) {
  // SplitMix64 of (seed, index): independent streams for neighbouring indices.
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

HistoryResult RunHistory(uint64_t seed, const HistoryOptions& options) {
  return History(seed, options).Run();
}

std::vector<Record> DivergedStates(uint64_t seed, const HistoryOptions& options) {
  History history(seed, options);
  history.RunSteps();
  return history.States(0);
}

ConvergenceReport RunConvergence(uint64_t seed, uint64_t histories, const HistoryOptions& options) {
  ConvergenceReport report;
  for (uint64_t i = 0; i < histories; ++i) {
    const uint64_t s = HistorySeed(seed, i);
    const HistoryResult r = RunHistory(s, options);
    ++report.histories;
    report.converged += r.converged;
    report.lost_writes += r.lost_writes;
    report.spec_violations += r.spec_violations;
    report.operations += r.operations;
    report.deliveries += r.deliveries;
    if (!r.converged && report.failures.size() < 5) {
      report.failures.push_back(absl::StrCat("history seed ", s, ": ", r.problem));
    }
  }
  return report;
}

}  // namespace rapport::sim
