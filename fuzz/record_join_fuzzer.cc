// libFuzzer target: decoding of record states and deltas (rapport.v1.RecordState, what arrives
// from other replicas) and the join of two decoded records. The input is two encodings: two
// bytes (big-endian) give the length of the first, the rest is the second. Checks, on every pair
// that decodes:
//  - decoding never crashes and re-encoding is canonical (decode(encode(r)) encodes the same);
//  - join is idempotent (a ⊔ a = a) and commutative (a ⊔ b and b ⊔ a encode the same), and
//    joining b again changes nothing: the laws that make duplicated and reordered deliveries
//    harmless (docs/data-model.md).
// The second record takes the first one's id (Record::Join requires equal ids).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/crdt/record.h"
#include "core/crdt/record_codec.h"
#include "core/crdt/value_register.h"
#include "google/protobuf/stubs/logging.h"
#include "rapport/v1/crdt.pb.h"

namespace {

// Aborts (a libFuzzer crash) when a law fails, printing the records involved.
void Check(bool ok, const char* law, std::initializer_list<const rapport::crdt::Record*> records) {
  if (ok) return;
  std::fprintf(stderr, "record_join_fuzzer: %s violated\n", law);
  for (const rapport::crdt::Record* r : records) {
    rapport::v1::RecordState state;
    rapport::crdt::RecordToProto(*r, &state);
    std::fprintf(stderr, "---\n%s", state.DebugString().c_str());
  }
  std::abort();
}

std::string Canonical(const rapport::crdt::Record& r) { return rapport::crdt::EncodeRecord(r); }

}  // namespace

// Protobuf logs every invalid UTF-8 string it parses; hostile input is full of them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rapport::crdt::Record;
  if (size < 2) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::string_view first = bytes.substr(0, (size_t{data[0]} << 8) | data[1]);
  const std::string_view second = bytes.substr(first.size());

  auto a = rapport::crdt::DecodeRecord(first);
  if (!a.ok()) return 0;
  const std::string a_bytes = Canonical(*a);
  {
    auto again = rapport::crdt::DecodeRecord(a_bytes);
    Check(again.ok(), "decode(encode(a)) decodes", {&*a});
    Check(Canonical(*again) == a_bytes, "canonical re-encoding", {&*a, &*again});
  }
  {
    Record twice = *a;
    twice.Join(*a, 1);
    Check(Canonical(twice) == a_bytes, "idempotence: a join a == a", {&*a, &twice});
  }

  rapport::v1::RecordState state;
  if (!state.ParseFromArray(second.data(), static_cast<int>(second.size()))) return 0;
  state.set_id(std::string(a->id().bytes()));
  auto b = rapport::crdt::RecordFromProto(state);
  if (!b.ok()) return 0;

  Record ab = *a;
  ab.Join(*b, 2);
  Record ba = *b;
  ba.Join(*a, 2);
  const std::string ab_bytes = Canonical(ab);
  Check(ab_bytes == Canonical(ba), "commutativity: a join b == b join a", {&*a, &*b, &ab, &ba});
  Record abb = ab;
  abb.Join(*b, 3);
  Check(Canonical(abb) == ab_bytes, "idempotence: (a join b) join b == a join b",
        {&*a, &*b, &ab, &abb});
  return 0;
}
