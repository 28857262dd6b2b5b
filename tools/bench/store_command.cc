#include "tools/bench/store_command.h"

#include <lmdb.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/crdt/field.h"
#include "core/crdt/record.h"
#include "core/crdt/record_codec.h"
#include "core/crdt/record_edit.h"
#include "core/crdt/record_id.h"
#include "core/crdt/scalar.h"
#include "core/schema/index_key.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "core/store/store_layout.h"
#include "core/store/store_types.h"
#include "core/store/write_transaction.h"
#include "tools/bench/store_apply.h"

namespace rapport::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Small, fast, seedable generator: each customer draws from its own stream, so a write that
// the store reruns (after growing the map) regenerates exactly the same values.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return Next() % n; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

constexpr std::array<const char*, 20> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄",
                                                   "赵", "吴", "周", "徐", "孙", "马", "朱",
                                                   "胡", "郭", "何", "高", "林", "罗"};
constexpr std::array<const char*, 16> kGiven = {"小明", "伟", "芳", "娜",  "秀英", "敏",
                                                "静",   "丽", "强", "磊",  "军",   "洋",
                                                "勇",   "艳", "杰", "晓峰"};
constexpr std::array<const char*, 24> kFirst = {
    "Anna",  "Ben",   "Carla", "David",   "Elena", "Felix",  "Grace", "Hugo",
    "Irene", "Jonas", "Karin", "Lukas",   "Maria", "Nils",   "Olga",  "Paul",
    "Rosa",  "Simon", "Tanja", "Umberto", "Vera",  "Walter", "Xenia", "Yusuf"};
constexpr std::array<const char*, 24> kLast = {
    "Schmidt", "Rossi",   "Novak",  "Garcia",  "Muller", "Bianchi", "Kowalski", "Dubois",
    "Jensen",  "Silva",   "Berger", "Ferrari", "Horvat", "Nagy",    "Costa",    "Weber",
    "Meyer",   "Fischer", "Moreau", "Lopez",   "Keller", "Romano",  "Wagner",   "Lindqvist"};
constexpr std::array<const char*, 12> kCompanySuffix = {
    "Trading Co.", "GmbH",        "Ltd.",     "Logistics",  "Hardware", "Foods",
    "Textiles",    "Electronics", "Pharmacy", "Auto Parts", "Bakery",   "Consulting"};
constexpr std::array<const char*, 20> kCities = {
    "Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Wuhan",
    "Nanjing",  "Suzhou",  "Xi'an",    "Milan",     "Munich",   "Lyon",    "Vienna",
    "Zurich",   "Warsaw",  "Prague",   "Madrid",    "Lisbon",   "Porto"};
constexpr std::array<const char*, 5> kLifecycle = {"non_customer", "potential", "target", "current",
                                                   "lost"};
constexpr std::array<const char*, 4> kTiers = {"key", "important", "ordinary", "small"};
constexpr std::array<const char*, 30> kTags = {
    "vip",        "wholesale",  "retail",      "online",  "trade-fair", "referral",
    "newsletter", "late-payer", "prepaid",     "export",  "import",     "seasonal",
    "bulk",       "premium",    "discount",    "partner", "reseller",   "government",
    "school",     "hospital",   "restaurant",  "hotel",   "pharmacy",   "workshop",
    "farm",       "startup",    "family-firm", "chain",   "franchise",  "cash-only"};
constexpr std::array<const char*, 11> kKinds = {
    "visit",           "call",      "email",     "message", "meeting", "demonstration", "order",
    "service_request", "complaint", "follow_up", "survey"};
constexpr std::array<const char*, 12> kSummaries = {
    "Visited the shop; owner wants a quote for 200 units before the spring season.",
    "Called about the late delivery; promised a credit note for the freight.",
    "客户反映上批货包装破损，已安排补发并跟进物流。",
    "Demonstrated the new model to the purchasing manager and two engineers.",
    "Order confirmed: 48 cartons, payment 30 days net, delivery to the north warehouse.",
    "回访满意度调查：对服务响应速度满意，希望增加夜间配送。",
    "Sent the updated price list and the catalogue; follow up next week.",
    "Complaint about an invoice error, corrected and re-sent the same day.",
    "与采购负责人面谈，讨论明年框架协议和返点政策。",
    "Met at the trade fair; interested in the premium line and exclusive territory.",
    "Asked for a technician visit; scheduled for Thursday morning.",
    "微信沟通新品样品寄送地址，已确认。"};

constexpr int kTerritories = 100;  // ~N/100 customers each; a query with limit 50 fills up
constexpr int kOwners = 200;
constexpr int kBranches = 10;
constexpr int kInteractions = 10;

struct Fields {
  crdt::FieldId name, phone, email, city, owner, territory, branch, lifecycle, tier, birthday,
      follow_up, tags, loyalty, interactions, kind, author, summary;
};

absl::StatusOr<crdt::FieldId> Num(const schema::Schema& s, std::string_view path) {
  const schema::FieldSpec* f = s.FindField("customer", path);
  if (f == nullptr)
    return absl::NotFoundError(absl::StrCat("schema has no customer.", std::string(path)));
  return f->number();
}

absl::StatusOr<Fields> LookUpFields(const schema::Schema& s) {
  Fields f;
  const std::pair<crdt::FieldId*, const char*> wanted[] = {{&f.name, "name"},
                                                           {&f.phone, "phone"},
                                                           {&f.email, "email"},
                                                           {&f.city, "city"},
                                                           {&f.owner, "owner"},
                                                           {&f.territory, "territory"},
                                                           {&f.branch, "branch"},
                                                           {&f.lifecycle, "lifecycle_stage"},
                                                           {&f.tier, "value_tier"},
                                                           {&f.birthday, "birthday"},
                                                           {&f.follow_up, "next_follow_up"},
                                                           {&f.tags, "tags"},
                                                           {&f.loyalty, "loyalty_points"},
                                                           {&f.interactions, "interactions"},
                                                           {&f.kind, "interactions.kind"},
                                                           {&f.author, "interactions.author"},
                                                           {&f.summary, "interactions.summary"}};
  for (const auto& [out, path] : wanted) {
    absl::StatusOr<crdt::FieldId> n = Num(s, path);
    if (!n.ok()) return n.status();
    *out = *n;
  }
  return f;
}

std::string Territory(uint64_t k) { return absl::StrCat("territory-", k); }

// Fills one new customer with realistic values drawn from `rng`.
absl::Status FillCustomer(const Fields& f, SplitMix64& rng, uint64_t index, crdt::RecordEdit& e) {
  const bool chinese = rng.Below(10) < 4;
  std::string name;
  std::string mail_user;
  if (chinese) {
    name = absl::StrCat(rng.Pick(kSurnames), rng.Pick(kGiven));
    mail_user = absl::StrCat("kh", index);
  } else if (rng.Below(2) == 0) {
    const char* first = rng.Pick(kFirst);
    const char* last = rng.Pick(kLast);
    name = absl::StrCat(first, " ", last);
    mail_user = absl::StrCat(first, ".", last, index);
  } else {
    const char* last = rng.Pick(kLast);
    name = absl::StrCat(last, " ", rng.Pick(kCompanySuffix));
    mail_user = absl::StrCat("info", index);
  }
  std::string phone = absl::StrCat("+86 1", 30 + rng.Below(70), "-", 1000 + rng.Below(9000), "-",
                                   1000 + rng.Below(9000));
  std::string email = absl::StrCat(mail_user, "@example", rng.Below(50), ".com");
  const uint64_t owner = rng.Below(kOwners);
  std::string owner_subject = absl::StrCat("user:rep-", owner);

  absl::Status s = e.Set(f.name, std::move(name));
  if (s.ok()) s = e.Set(f.phone, std::move(phone));
  if (s.ok()) s = e.Set(f.email, std::move(email));
  if (s.ok()) s = e.Set(f.city, std::string(rng.Pick(kCities)));
  if (s.ok()) s = e.Set(f.owner, owner_subject);
  if (s.ok()) s = e.Set(f.territory, Territory(rng.Below(kTerritories)));
  if (s.ok()) s = e.Set(f.branch, absl::StrCat("branch-", owner % kBranches));
  if (s.ok()) s = e.Set(f.lifecycle, crdt::EnumSymbol{rng.Pick(kLifecycle)});
  if (s.ok()) s = e.Set(f.tier, crdt::EnumSymbol{rng.Pick(kTiers)});
  if (s.ok()) {
    s = e.Set(f.birthday, crdt::DateFromCivil(1950 + static_cast<int>(rng.Below(55)),
                                              1 + static_cast<unsigned>(rng.Below(12)),
                                              1 + static_cast<unsigned>(rng.Below(28))));
  }
  if (s.ok()) {
    s = e.Set(f.follow_up, crdt::DateFromCivil(2026 + static_cast<int>(rng.Below(2)),
                                               1 + static_cast<unsigned>(rng.Below(12)),
                                               1 + static_cast<unsigned>(rng.Below(28))));
  }
  for (int t = 0; t < 3 && s.ok(); ++t) s = e.AddElement(f.tags, rng.Pick(kTags));
  if (s.ok()) s = e.Increment(f.loyalty, static_cast<int64_t>(rng.Below(5000)));
  int64_t at = 1'700'000'000'000 + static_cast<int64_t>(rng.Below(10'000'000'000));
  for (int i = 0; i < kInteractions && s.ok(); ++i) {
    at += static_cast<int64_t>(rng.Below(1'000'000'000));
    const uint64_t author = rng.Below(4) == 0 ? rng.Below(kOwners) : owner;
    s = e.AppendEntry(f.interactions, {{crdt::Timeline::kOccurredAt, crdt::Timestamp{at}},
                                       {f.kind, crdt::EnumSymbol{rng.Pick(kKinds)}},
                                       {f.author, absl::StrCat("user:rep-", author)},
                                       {f.summary, std::string(rng.Pick(kSummaries))}})
            .status();
  }
  return s;
}

struct Percentiles {
  double p50_us = 0;
  double p99_us = 0;
};

Percentiles Summarise(std::vector<double>& us) {
  if (us.empty()) return {};
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))];
  };
  return {at(0.50), at(0.99)};
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? "" : line.substr(start);
      }
    }
  }
  return "unknown";
}

// A "Key:   123 kB" line of /proc/self/status, in MiB (0 if absent).
double StatusMb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::strtod(line.c_str() + key.size() + 1, nullptr) / 1024.0;
    }
  }
  return 0;
}

struct Memory {
  double rss_mb, rss_anon_mb, rss_file_mb, heap_in_use_mb;
};

Memory SampleMemory() {
  const struct mallinfo2 mi = mallinfo2();
  return {StatusMb("VmRSS"), StatusMb("RssAnon"), StatusMb("RssFile"),
          static_cast<double>(mi.uordblks + mi.hblkhd) / (1024.0 * 1024.0)};
}

std::string MemoryJson(const Memory& m) {
  return absl::StrCat("{\"rss_mb\":", m.rss_mb, ",\"rss_anon_mb\":", m.rss_anon_mb,
                      ",\"rss_file_mb\":", m.rss_file_mb, ",\"heap_in_use_mb\":", m.heap_in_use_mb,
                      "}");
}

// Pages in use per table, read with a separate read-only LMDB handle after the store is closed
// (LMDB forbids two handles on one environment in a process). "free" is the rest of data.mdb:
// pages on LMDB's free list, left by copy-on-write and reused by later writes.
absl::StatusOr<std::string> PageBreakdown(const std::string& dir) {
  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0) return absl::InternalError(mdb_strerror(rc));
  std::string out;
  auto fail = [&](int rc) {
    mdb_env_close(env);
    return absl::InternalError(absl::StrCat("page breakdown: ", mdb_strerror(rc)));
  };
  mdb_env_set_maxdbs(env, 8);
  if (int rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644); rc != 0) return fail(rc);
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn); rc != 0) return fail(rc);
  MDB_envinfo info;
  mdb_env_info(env, &info);
  MDB_stat main_stat;
  mdb_env_stat(env, &main_stat);
  const uint64_t psize = main_stat.ms_psize;
  uint64_t used = main_stat.ms_branch_pages + main_stat.ms_leaf_pages + main_stat.ms_overflow_pages;
  for (const char* name : {"records", "changes", "indexes", "peers", "meta"}) {
    MDB_dbi dbi;
    if (int rc = mdb_dbi_open(txn, name, 0, &dbi); rc != 0) {
      mdb_txn_abort(txn);
      return fail(rc);
    }
    MDB_stat st;
    mdb_stat(txn, dbi, &st);
    const uint64_t pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    used += pages;
    absl::StrAppend(&out, "\"", name, "_bytes\":", pages * psize, ",");
  }
  mdb_txn_abort(txn);
  const uint64_t total = (info.me_last_pgno + 1) * psize;
  absl::StrAppend(&out, "\"free_bytes\":", total > used * psize ? total - used * psize : 0,
                  ",\"page_bytes\":", psize);
  mdb_env_close(env);
  return out;
}

struct Args {
  uint64_t records = 100000;
  uint64_t batch = 1000;
  std::string dir;
  uint64_t seed = 1;
  uint64_t gets = 10000;
  uint64_t queries = 1000;
  uint64_t apply_batch_bytes = 1 << 20;
};

absl::StatusOr<std::unique_ptr<store::RecordStore>> OpenStore(const std::string& dir) {
  store::StoreOptions options;
  options.indexes = schema::Schema::DefaultCustomer().Indexer();
  options.schema_hash = schema::Schema::DefaultCustomer().Hash();
  return store::RecordStore::Open(dir, std::move(options));
}

// Runs every measurement in `dir` and returns the JSON object (without the parameters).
absl::StatusOr<std::string> Measure(const Args& args, const std::string& dir) {
  const schema::Schema& schema = schema::Schema::DefaultCustomer();
  absl::StatusOr<Fields> fields = LookUpFields(schema);
  if (!fields.ok()) return fields.status();

  absl::StatusOr<std::unique_ptr<store::RecordStore>> opened = OpenStore(dir);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<store::RecordStore> db = std::move(*opened);

  // ---- Bulk create. ----
  std::vector<crdt::RecordId> ids;
  ids.reserve(args.records);
  const Clock::time_point create_start = Clock::now();
  const double create_cpu_start = ProcessCpuSeconds();
  uint64_t writes = 0;
  for (uint64_t first = 0; first < args.records; first += args.batch) {
    const uint64_t end = std::min(args.records, first + args.batch);
    std::vector<crdt::RecordId> batch_ids;
    absl::StatusOr<store::ChangeSet> changes =
        db->Write([&](store::WriteTransaction& txn) -> absl::Status {
          batch_ids.clear();  // the store may rerun this function after growing the map
          for (uint64_t i = first; i < end; ++i) {
            absl::StatusOr<store::WriteTransaction::Created> created = txn.Create("customer");
            if (!created.ok()) return created.status();
            SplitMix64 rng(args.seed * 0x100000001B3ull + i);
            absl::Status s = FillCustomer(*fields, rng, i, *created->edit);
            if (!s.ok()) return s;
            batch_ids.push_back(created->id);
          }
          return absl::OkStatus();
        });
    if (!changes.ok()) return changes.status();
    ++writes;
    ids.insert(ids.end(), batch_ids.begin(), batch_ids.end());
  }
  const double create_seconds = SecondsSince(create_start);
  const double create_cpu_seconds = ProcessCpuSeconds() - create_cpu_start;
  const Memory after_load = SampleMemory();

  // A sanity check that the generated customers are what the schema accepts.
  if (!ids.empty()) {
    absl::StatusOr<std::optional<crdt::Record>> first = db->Get(ids.front());
    if (!first.ok()) return first.status();
    if (!first->has_value()) return absl::InternalError("the first customer is missing");
    absl::Status s = schema.ValidateDelta(**first);
    if (s.ok()) s = schema.ValidateRequired(**first);
    if (!s.ok()) return s;
  }

  // ---- Reopen. ----
  db.reset();
  const Clock::time_point reopen_start = Clock::now();
  opened = OpenStore(dir);
  if (!opened.ok()) return opened.status();
  db = std::move(*opened);
  const double reopen_ms = SecondsSince(reopen_start) * 1e3;

  absl::StatusOr<store::StoreStats> stats = db->Stats();
  if (!stats.ok()) return stats.status();
  if (stats->records != args.records) {
    return absl::InternalError(
        absl::StrCat("store holds ", stats->records, " records, expected ", args.records));
  }

  SplitMix64 rng(args.seed ^ 0x5EEDull);

  // ---- Get latency. ----
  std::vector<double> get_us;
  get_us.reserve(args.gets);
  for (uint64_t i = 0; i < args.gets && !ids.empty(); ++i) {
    const crdt::RecordId& id = ids[rng.Below(ids.size())];
    const Clock::time_point t = Clock::now();
    absl::StatusOr<std::optional<crdt::Record>> r = db->Get(id);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t).count();
    if (!r.ok()) return r.status();
    if (!r->has_value()) return absl::InternalError(absl::StrCat("missing ", id.ToString()));
    get_us.push_back(us);
  }
  const Percentiles get = Summarise(get_us);

  // Encoded size of stored records (with seqs, without the id, as in the records table), and of
  // the canonical form (what the wire carries). LMDB moves a value larger than about half a page
  // (2014 bytes with 4 KiB pages and a 16-byte key) to its own overflow pages, which are whole
  // pages.
  constexpr size_t kOverflowAbove = 2014;
  const size_t sampled = std::min<size_t>(ids.size(), 1000);
  uint64_t encoded_total = 0, overflowed = 0, encoded_max = 0, canonical_total = 0;
  std::string stored;
  for (size_t i = 0; i < sampled; ++i) {
    absl::StatusOr<std::optional<crdt::Record>> r = db->Get(ids[rng.Below(ids.size())]);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return absl::InternalError("a customer is missing");
    store::layout::EncodeStoredRecord(**r, &stored);
    const size_t bytes = stored.size();
    canonical_total += crdt::EncodeRecord(**r).size();
    encoded_total += bytes;
    encoded_max = std::max<uint64_t>(encoded_max, bytes);
    if (bytes > kOverflowAbove) ++overflowed;
  }
  const double sampled_n = static_cast<double>(std::max<size_t>(1, sampled));

  // ---- Indexed queries: territory equality, name prefix; limit 50. ----
  constexpr size_t kLimit = 50;
  std::vector<double> territory_us, territory_fetch_us, prefix_us;
  uint64_t territory_results = 0, prefix_results = 0;
  for (uint64_t q = 0; q < args.queries; ++q) {
    const std::string key =
        schema::IndexKey(Territory(rng.Below(kTerritories)), schema::IndexKind::kExact);
    Clock::time_point t = Clock::now();
    absl::StatusOr<store::QueryPage> page = db->Scan("territory", key, key + '\0', kLimit, "");
    territory_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!page.ok()) return page.status();
    territory_results += page->ids.size();
    // The same query followed by loading the 50 records it found, as a list view would.
    t = Clock::now();
    page = db->Scan("territory", key, key + '\0', kLimit, "");
    if (!page.ok()) return page.status();
    for (const crdt::RecordId& id : page->ids) {
      absl::StatusOr<std::optional<crdt::Record>> r = db->Get(id);
      if (!r.ok()) return r.status();
    }
    territory_fetch_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t).count());

    const std::string prefix = schema::FoldForPrefix(rng.Pick(kSurnames));
    t = Clock::now();
    page = db->Scan("name", prefix, schema::PrefixSuccessor(prefix), kLimit, "");
    prefix_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!page.ok()) return page.status();
    prefix_results += page->ids.size();
  }
  const Percentiles territory = Summarise(territory_us);
  const Percentiles territory_fetch = Summarise(territory_fetch_us);
  const Percentiles prefix = Summarise(prefix_us);
  const double queries = static_cast<double>(std::max<uint64_t>(1, args.queries));

  // ---- Change feed: everything since seq 0. ----
  uint64_t fed = 0;
  const Clock::time_point feed_start = Clock::now();
  absl::Status feed = db->ChangesSince(0, args.records + 1, [&](const crdt::Record&, uint64_t) {
    ++fed;
    return true;
  });
  const double feed_seconds = SecondsSince(feed_start);
  if (!feed.ok()) return feed;
  if (fed != args.records) {
    return absl::InternalError(absl::StrCat("change feed gave ", fed, " records"));
  }

  // ---- Size and memory. ----
  std::error_code ec;
  const uintmax_t file_bytes = std::filesystem::file_size(dir + "/data.mdb", ec);
  if (ec) return absl::InternalError(absl::StrCat("size of data.mdb: ", ec.message()));
  const Memory final_memory = SampleMemory();
  db.reset();
  absl::StatusOr<std::string> pages = PageBreakdown(dir);
  if (!pages.ok()) return pages.status();

  // ---- The device side of an initial sync of the whole store. ----
  std::string apply = "null";
  if (args.apply_batch_bytes > 0) {
    opened = OpenStore(dir);
    if (!opened.ok()) return opened.status();
    absl::StatusOr<std::string> applied =
        MeasureApply(**opened, dir + "/device", args.apply_batch_bytes);
    if (!applied.ok()) return applied.status();
    apply = *applied;
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double n = static_cast<double>(std::max<uint64_t>(1, args.records));

  return absl::StrCat(
      "\"create\":{\"seconds\":", create_seconds, ",\"cpu_seconds\":", create_cpu_seconds,
      ",\"records_per_s\":", n / create_seconds, ",\"writes\":", writes,
      "},\"reopen_ms\":", reopen_ms, ",\"get\":{\"samples\":", get_us.size(),
      ",\"p50_us\":", get.p50_us, ",\"p99_us\":", get.p99_us,
      "},\"query_territory_eq\":{\"samples\":", territory_us.size(),
      ",\"mean_results\":", static_cast<double>(territory_results) / queries,
      ",\"p50_us\":", territory.p50_us, ",\"p99_us\":", territory.p99_us,
      "},\"query_territory_eq_and_get\":{\"p50_us\":", territory_fetch.p50_us,
      ",\"p99_us\":", territory_fetch.p99_us,
      "},\"query_name_prefix\":{\"samples\":", prefix_us.size(),
      ",\"mean_results\":", static_cast<double>(prefix_results) / queries,
      ",\"p50_us\":", prefix.p50_us, ",\"p99_us\":", prefix.p99_us,
      "},\"changes_since_0\":{\"records\":", fed, ",\"seconds\":", feed_seconds,
      ",\"records_per_s\":", static_cast<double>(fed) / feed_seconds,
      "},\"disk\":{\"data_mdb_bytes\":", file_bytes,
      ",\"data_mdb_bytes_per_record\":", static_cast<double>(file_bytes) / n,
      ",\"used_bytes\":", stats->used_bytes,
      ",\"used_bytes_per_record\":", static_cast<double>(stats->used_bytes) / n,
      ",\"encoded_record_bytes_mean\":", static_cast<double>(encoded_total) / sampled_n,
      ",\"encoded_record_bytes_max\":", encoded_max,
      ",\"canonical_record_bytes_mean\":", static_cast<double>(canonical_total) / sampled_n,
      ",\"records_on_overflow_pages\":", static_cast<double>(overflowed) / sampled_n,
      ",\"map_bytes\":", stats->map_bytes, ",\"postings\":", stats->postings, ",\"tables\":{",
      *pages, "}", "},\"memory\":{\"peak_rss_mb\":", static_cast<double>(usage.ru_maxrss) / 1024.0,
      ",\"after_load\":", MemoryJson(after_load), ",\"final\":", MemoryJson(final_memory),
      ",\"rss_anon_mb\":", final_memory.rss_anon_mb, "},\"apply\":", apply);
}

}  // namespace

void AddStoreCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "store",
      "Loads N default-schema customers (10 interactions each) into a fresh record store and "
      "measures create, reopen, get, indexed queries, the change feed, size on disk and memory. "
      "Prints one JSON object; exits non-zero on any store error.");
  auto args = std::make_shared<Args>();
  cmd->add_option("--records", args->records, "customers to create")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "customers per write transaction")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--dir", args->dir,
                  "store directory (must not hold a store yet; kept afterwards); default: a new "
                  "temporary directory, removed afterwards");
  cmd->add_option("--seed", args->seed, "seed of the generated values")->capture_default_str();
  cmd->add_option("--gets", args->gets, "random Get calls timed")->capture_default_str();
  cmd->add_option("--queries", args->queries, "indexed queries timed (of each kind)")
      ->capture_default_str();
  cmd->add_option("--apply-batch-bytes", args->apply_batch_bytes,
                  "Pull batch size of the device-side initial sync measured at the end (0: skip)")
      ->capture_default_str();
  cmd->callback([args, exit_code] {
    std::string dir = args->dir;
    const bool temporary = dir.empty();
    if (temporary) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "rapport-bench-store-XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) {
        std::fprintf(stderr, "rapport-bench store: cannot create a temporary directory\n");
        *exit_code = 1;
        return;
      }
      dir = pattern;
    } else if (std::filesystem::exists(std::filesystem::path(dir) / "data.mdb")) {
      std::fprintf(stderr, "rapport-bench store: %s already holds a store; give a new directory\n",
                   dir.c_str());
      *exit_code = 1;
      return;
    }
    const absl::StatusOr<std::string> figures = Measure(*args, dir);
    if (temporary) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    if (!figures.ok()) {
      std::fprintf(stderr, "rapport-bench store: %s\n", figures.status().ToString().c_str());
      *exit_code = 1;
      return;
    }
    std::printf("%s\n", absl::StrCat("{\"records\":", args->records, ",\"batch\":", args->batch,
                                     ",\"seed\":", args->seed,
                                     ",\"machine\":{\"nproc\":", sysconf(_SC_NPROCESSORS_ONLN),
                                     ",\"cpu\":", Quote(CpuModel()), "},", *figures, "}")
                            .c_str());
    *exit_code = 0;
  });
}

}  // namespace rapport::bench
