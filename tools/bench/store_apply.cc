#include "tools/bench/store_apply.h"

#include <sys/resource.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/schema/schema.h"
#include "core/store/store_layout.h"
#include "rapport/v1/sync.pb.h"

namespace rapport::bench {
namespace {

using Clock = std::chrono::steady_clock;

// CPU and wall time of one part, summed over the batches.
struct Part {
  double cpu_s = 0, wall_s = 0;
  template <typename Fn>
  auto Time(Fn fn) {
    const double cpu = ProcessCpuSeconds();
    const Clock::time_point wall = Clock::now();
    auto result = fn();
    cpu_s += ProcessCpuSeconds() - cpu;
    wall_s += std::chrono::duration<double>(Clock::now() - wall).count();
    return result;
  }
};

}  // namespace

double ProcessCpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::StatusOr<std::string> MeasureApply(const store::RecordStore& source, const std::string& dir,
                                         size_t batch_bytes) {
  const schema::Schema& schema = schema::Schema::DefaultCustomer();
  // ---- What the server would send: Pull batches bounded in bytes, serialized. ----
  std::vector<std::string> wire;
  uint64_t records = 0, wire_bytes = 0;
  rapport::v1::Pull pull;
  size_t pull_bytes = 0;
  auto flush = [&] {
    if (pull.deltas_size() == 0) return;
    wire.push_back(pull.SerializeAsString());
    wire_bytes += wire.back().size();
    pull.Clear();
    pull_bytes = 0;
  };
  absl::Status read = source.ChangesSince(0, UINT64_MAX, [&](const crdt::Record& delta, uint64_t) {
    crdt::RecordToProto(delta, pull.add_deltas());
    pull_bytes += pull.deltas(pull.deltas_size() - 1).ByteSizeLong();
    ++records;
    if (pull_bytes >= batch_bytes) flush();
    return true;
  });
  if (!read.ok()) return read;
  flush();

  store::StoreOptions options;
  options.indexes = schema.Indexer();
  options.schema_hash = schema.Hash();
  absl::StatusOr<std::unique_ptr<store::RecordStore>> device =
      store::RecordStore::Open(dir, std::move(options));
  if (!device.ok()) return device.status();

  // ---- Applying them. ----
  Part decode, validate, write;
  const double cpu_start = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  for (const std::string& bytes : wire) {
    rapport::v1::Pull batch;
    std::vector<crdt::Record> deltas;
    absl::Status s = decode.Time([&]() -> absl::Status {
      if (!batch.ParseFromString(bytes)) return absl::DataLossError("a Pull batch does not parse");
      deltas.reserve(batch.deltas_size());
      for (const rapport::v1::RecordState& state : batch.deltas()) {
        absl::StatusOr<crdt::Record> delta = crdt::RecordFromProto(state);
        if (!delta.ok()) return delta.status();
        deltas.push_back(*std::move(delta));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    s = validate.Time([&]() -> absl::Status {
      for (const crdt::Record& delta : deltas) {
        if (absl::Status valid = schema.ValidateDelta(delta); !valid.ok()) return valid;
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    absl::StatusOr<store::ChangeSet> changes = write.Time([&] {
      return (*device)->Write([&](store::WriteTransaction& txn) -> absl::Status {
        for (const crdt::Record& delta : deltas) {
          // As SyncSession::ApplyPull: the record before and after, and a mark per record.
          absl::StatusOr<std::optional<crdt::Record>> before = txn.Get(delta.id());
          if (!before.ok()) return before.status();
          if (absl::Status applied = txn.ApplyRemote(delta); !applied.ok()) return applied;
          absl::StatusOr<std::optional<crdt::Record>> after = txn.Get(delta.id());
          if (!after.ok()) return after.status();
          if (!after->has_value()) return absl::InternalError("an applied record is missing");
          absl::Status marked = txn.PutAux("pulled/" + std::string(delta.id().bytes()),
                                           store::layout::EncodeU64((*after)->MaxSeq()));
          if (!marked.ok()) return marked;
        }
        return absl::OkStatus();
      });
    });
    if (!changes.ok()) return changes.status();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  absl::StatusOr<store::StoreStats> stats = (*device)->Stats();
  if (!stats.ok()) return stats.status();
  if (stats->records != records) {
    return absl::InternalError(
        absl::StrCat("device holds ", stats->records, " records, expected ", records));
  }
  const double n = static_cast<double>(std::max<uint64_t>(records, 1));
  auto part = [&](const char* name, const Part& p) {
    return absl::StrCat("\"", name, "\":{\"cpu_us_per_record\":", p.cpu_s * 1e6 / n,
                        ",\"wall_s\":", p.wall_s, "}");
  };
  return absl::StrCat("{\"records\":", records, ",\"batches\":", wire.size(),
                      ",\"wire_bytes_per_record\":", static_cast<double>(wire_bytes) / n,
                      ",\"seconds\":", seconds, ",\"cpu_seconds\":", cpu,
                      ",\"cpu_us_per_record\":", cpu * 1e6 / n, ",", part("decode", decode), ",",
                      part("validate", validate), ",", part("write", write), "}");
}

}  // namespace rapport::bench
