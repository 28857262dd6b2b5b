#include "tests/fault/edit_ledger.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace rapport::fault {
namespace {

std::string Text(const Value& v) { return ValueToText(v); }

}  // namespace

void EditLedger::CreateShared(Replica& creator, int count) {
  for (int i = 0; i < count; ++i) {
    auto created =
        creator.Apply({Mutation::Create("customer", {{"name", absl::StrCat("Shared ", i)}})});
    ASSERT_TRUE(created.ok()) << created.status();
    shared_.push_back(created->created.at(0));
    records_.insert(created->created.at(0));
  }
}

void EditLedger::EditOffline(Replica& replica, int device, int round, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::string tag = absl::StrCat("r", round, "d", device);
  std::vector<Mutation> batch;
  std::vector<std::pair<std::string, std::string>> appended;  // record, summary
  const int edits = 1 + static_cast<int>(pick(4));
  std::vector<std::string>& own = own_[device];
  for (int e = 0; e < edits; ++e) {
    // Mostly the shared customers (contention), sometimes one this device created.
    std::string id = shared_[pick(shared_.size())];
    if (!own.empty() && pick(4) == 0) id = own[pick(own.size())];
    const std::string label = absl::StrCat(tag, "e", e);
    ++edits_;
    switch (pick(6)) {
      case 0:
      case 1: {
        const int64_t amount = static_cast<int64_t>(pick(121)) - 20;
        batch.push_back(Mutation::Increment(id, "loyalty_points", amount));
        points_[id] += amount;
        break;
      }
      case 2: {
        // A small pool, so devices add the same tag concurrently too.
        const std::string element = absl::StrCat("tag", pick(6));
        batch.push_back(Mutation::AddElement(id, "tags", element));
        tags_[id].insert(element);
        break;
      }
      case 3: {
        const std::string summary = absl::StrCat("visit ", label);
        batch.push_back(Mutation::AppendEntry(
            id, "interactions", Timestamp{1700000000000 + round * 1000 + device},
            {{"kind", EnumValue{"visit"}}, {"summary", summary}}));
        appended.emplace_back(id, summary);
        break;
      }
      case 4: {
        const std::string city = absl::StrCat("city ", label);
        batch.push_back(Mutation::Set(id, "city", city));
        cities_[id].insert(city);
        break;
      }
      case 5: {
        // "plans" of a shared customer has one writer: the device it is assigned to.
        for (size_t i = 0; i < shared_.size(); ++i) {
          if (static_cast<int>(i % devices_) != device) continue;
          const std::string plans = absl::StrCat("plans ", label);
          batch.push_back(Mutation::Set(shared_[i], "plans", plans));
          plans_[shared_[i]] = plans;
        }
        batch.push_back(Mutation::Set(id, "phone", absl::StrCat("+86 138 ", round, " ", device)));
        break;
      }
    }
  }
  auto summary = replica.Apply(batch);
  ASSERT_TRUE(summary.ok()) << "device " << device << ": " << summary.status();
  ASSERT_EQ(summary->entries.size(), appended.size());
  for (size_t i = 0; i < appended.size(); ++i) {
    entries_[appended[i].first][summary->entries[i]] = appended[i].second;
  }
  if (pick(5) == 0) {
    auto created =
        replica.Apply({Mutation::Create("customer", {{"name", absl::StrCat("New ", tag)}})});
    ASSERT_TRUE(created.ok()) << "device " << device << ": " << created.status();
    own.push_back(created->created.at(0));
    records_.insert(created->created.at(0));
  }
}

void EditLedger::ConcurrentLastWrites(Replica& replica, int device) {
  std::vector<Mutation> batch;
  for (const std::string& id : shared_) {
    const std::string phone = absl::StrCat("+86 139 0000 000", device);
    batch.push_back(Mutation::Set(id, "phone", phone));
    final_phones_[id].insert(phone);
  }
  auto done = replica.Apply(batch);
  ASSERT_TRUE(done.ok()) << "device " << device << ": " << done.status();
}

void EditLedger::Check(const Replica& replica, const std::string& who) const {
  auto at = [](const auto& map, const std::string& id) {
    auto it = map.find(id);
    return it == map.end() ? typename std::decay_t<decltype(map)>::mapped_type{} : it->second;
  };
  for (const std::string& id : records_) {
    auto view = replica.Get(id);
    ASSERT_TRUE(view.ok() && view->has_value()) << who << " lacks record " << id;
    const RecordView& v = **view;
    auto points = v.counters.find("loyalty_points");
    const int64_t have = points == v.counters.end() ? 0 : points->second;
    EXPECT_EQ(have, at(points_, id)) << who << ": loyalty points of " << id;

    std::set<std::string> tags;
    if (auto it = v.sets.find("tags"); it != v.sets.end()) {
      tags.insert(it->second.begin(), it->second.end());
    }
    EXPECT_EQ(tags, at(tags_, id)) << who << ": tags of " << id;

    std::map<std::string, std::string> entries;
    if (auto it = v.timelines.find("interactions"); it != v.timelines.end()) {
      for (const EntryView& e : it->second) {
        entries[e.id] = Text(e.fields.at("summary").displayed);
      }
    }
    EXPECT_EQ(entries, at(entries_, id)) << who << ": interactions of " << id;

    auto values = [&](const std::string& field) {
      std::set<std::string> out;
      if (auto it = v.values.find(field); it != v.values.end()) {
        out.insert(Text(it->second.displayed));
        for (const Value& c : it->second.conflicts) out.insert(Text(c));
      }
      return out;
    };
    const std::set<std::string> cities = values("city");
    const std::set<std::string> written_cities = at(cities_, id);
    EXPECT_EQ(cities.empty(), written_cities.empty()) << who << ": city of " << id;
    for (const std::string& city : cities) {
      EXPECT_TRUE(written_cities.contains(city)) << who << ": invented city " << city;
    }
    if (plans_.contains(id)) {
      EXPECT_EQ(values("plans"), std::set<std::string>{plans_.at(id)})
          << who << ": single-writer plans of " << id;
    }
    if (final_phones_.contains(id)) {
      EXPECT_EQ(values("phone"), final_phones_.at(id))
          << who << ": concurrent phones of " << id << " must all stay visible";
    }
  }
}

}  // namespace rapport::fault
