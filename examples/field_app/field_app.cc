// A salesperson's offline day with the Rapport client library: import a few customers, log
// visits, award loyalty points, tag, and ask "whose follow-up is due this week?".
//
// Usage: field_app [store-dir] [--server HOST:PORT [--token TOKEN]]
//   store-dir: default a fresh temporary directory, removed at exit
//   --server:  at the end of the day, sync with that rapportd (e.g. ./tools/serve's
//              127.0.0.1:7420) and print what moved
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "rapport/replica.h"
#include "rapport/sync.h"

namespace {

using rapport::Date;
using rapport::EnumValue;
using rapport::Mutation;
using rapport::Timestamp;

int Fail(const absl::Status& status) {
  std::cerr << "field_app: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::string temp;
  std::string server;
  rapport::SyncOptions sync_options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--server" || arg == "--token") && i + 1 < argc) {
      (arg == "--server" ? server : sync_options.token) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "usage: field_app [store-dir] [--server HOST:PORT [--token TOKEN]]\n";
      return 2;
    } else {
      dir = arg;
    }
  }
  if (dir.empty()) {
    temp = (std::filesystem::temp_directory_path() / "rapport-field-app-XXXXXX").string();
    if (mkdtemp(temp.data()) == nullptr) return 1;
    dir = temp + "/store";
  }

  // The demo runs on Monday 2026-03-02, 09:00 UTC, so its output is the same every day.
  int64_t now = 1772442000000;
  rapport::OpenOptions options;
  options.wall_clock_ms = [&now] { return now; };
  auto opened = rapport::Replica::Open(dir, options);
  if (!opened.ok()) return Fail(opened.status());
  rapport::Replica& replica = **opened;
  std::cout << "replica " << replica.replica_id() << " at " << dir << "\n";

  int observed = 0;
  int handle =
      replica.Observe([&](const std::vector<std::string>& ids) { observed += ids.size(); });

  // Morning: import customers (one atomic batch).
  struct Import {
    const char* name;
    const char* city;
    Date follow_up;
  };
  const std::vector<Import> imports = {
      {"Hangzhou Tea House", "Hangzhou", Date::FromCivil(2026, 3, 3)},
      {"Li-Na Bakery", "Suzhou", Date::FromCivil(2026, 3, 12)},
      {"北京华联超市", "Beijing", Date::FromCivil(2026, 3, 6)},
      {"Wang Logistics", "Nanjing", Date::FromCivil(2026, 4, 1)},
  };
  std::vector<Mutation> batch;
  for (const Import& c : imports) {
    batch.push_back(Mutation::Create("customer", {{"name", std::string(c.name)},
                                                  {"city", std::string(c.city)},
                                                  {"lifecycle_stage", EnumValue{"current"}},
                                                  {"next_follow_up", c.follow_up}}));
  }
  auto imported = replica.Apply(batch);
  if (!imported.ok()) return Fail(imported.status());
  const std::vector<std::string>& ids = imported->created;
  std::cout << "imported " << ids.size() << " customers\n";

  // Late morning: a visit at the tea house, with points and a tag.
  now += 2 * 3600 * 1000;
  auto visit = replica.Apply({
      Mutation::AppendEntry(ids[0], "interactions", Timestamp{now},
                            {{"kind", EnumValue{"visit"}},
                             {"summary", std::string("Tasted the spring harvest; wants samples")},
                             {"author", std::string("Xu Ming")}}),
      Mutation::Increment(ids[0], "loyalty_points", 50),
      Mutation::AddElement(ids[0], "tags", "vip"),
      Mutation::Set(ids[0], "last_interaction_at", Timestamp{now}),
      Mutation::Set(ids[0], "next_follow_up", Date::FromCivil(2026, 3, 5)),
  });
  if (!visit.ok()) return Fail(visit.status());

  // A typo is refused, and nothing of its batch is stored.
  auto typo = replica.Apply({Mutation::Increment(ids[1], "loyalty_points", 10),
                             Mutation::Set(ids[1], "email", std::string("lina-at-bakery"))});
  std::cout << "refused: " << typo.status().message() << "\n";

  // Afternoon: a call to the supermarket.
  now += 3 * 3600 * 1000;
  auto call = replica.Apply(
      {Mutation::AppendEntry(ids[2], "interactions", Timestamp{now}, {{"kind", EnumValue{"call"}}}),
       Mutation::Increment(ids[2], "loyalty_points", 20)});
  if (!call.ok()) return Fail(call.status());

  // Evening: whose follow-up is due this week (Mon 2026-03-02 .. Sun 2026-03-08)?
  rapport::Query due = rapport::Query::Range("next_follow_up", Date::FromCivil(2026, 3, 2),
                                             Date::FromCivil(2026, 3, 9));
  due.limit = 2;  // small pages, to show paging
  std::cout << "follow-ups due this week:\n";
  int due_count = 0;
  while (true) {
    auto page = replica.Query(due);
    if (!page.ok()) return Fail(page.status());
    for (const std::string& id : page->ids) {
      auto view = replica.Get(id);
      if (!view.ok() || !view->has_value()) return Fail(view.status());
      const rapport::RecordView& v = **view;
      auto points = v.counters.find("loyalty_points");
      auto visits = v.timelines.find("interactions");
      std::cout << "  " << rapport::ValueToText(v.values.at("next_follow_up").displayed) << "  "
                << rapport::ValueToText(v.values.at("name").displayed)
                << "  points=" << (points == v.counters.end() ? 0 : points->second)
                << "  interactions=" << (visits == v.timelines.end() ? 0 : visits->second.size())
                << "\n";
      ++due_count;
    }
    if (page->next_cursor.empty()) break;
    due.cursor = page->next_cursor;
  }

  auto vip = replica.Query(rapport::Query::HasTag("tags", "vip"));
  if (!vip.ok()) return Fail(vip.status());
  std::cout << "vip customers: " << vip->ids.size() << "; records changed today: " << observed
            << "\n";
  replica.Unobserve(handle);

  // Back in range of the network: one sync session with the server.
  if (!server.empty()) {
    sync_options.on_progress = [](const rapport::SyncProgress& p) {
      std::cout << "  sync: pushed " << p.pushed << ", pulled " << p.pulled << "\n";
    };
    auto synced = rapport::SyncOnce(replica, server, sync_options);
    if (!synced.ok()) return Fail(synced.status());
    std::cout << "synced with " << server << ": pushed " << synced->pushed << ", pulled "
              << synced->pulled << " (" << synced->bytes << " bytes), rejected " << synced->rejected
              << "\n";
  }

  opened->reset();
  if (!temp.empty()) std::filesystem::remove_all(temp);
  // The demo checks itself, so ctest catches regressions.
  return due_count == 2 && vip->ids.size() == 1 && !typo.ok() ? 0 : 1;
}
