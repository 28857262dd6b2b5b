// rapport_fuzz_seeds OUT_DIR: writes the seed corpora of the fuzz targets from real data (two
// replicas editing the same customers concurrently), into OUT_DIR/record_join and
// OUT_DIR/sync_session. The committed fuzz/corpus/ was made with it; rerun it when the wire
// format changes. Schema seeds (fuzz/corpus/schema_parse) are plain text files kept by hand.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rapport/replica.h"
#include "rapport/v1/sync.pb.h"

namespace {

// The sync protocol version the seeds speak (server/sync_service.h, which this tool does not
// link).
constexpr uint32_t kProtocolVersion = 2;

int Fail(const std::string& why) {
  std::fprintf(stderr, "rapport_fuzz_seeds: %s\n", why.c_str());
  return 1;
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The record_join input: two bytes of first-length, the first encoding, the second.
std::string JoinInput(const std::string& a, const std::string& b) {
  std::string out;
  out.push_back(static_cast<char>((a.size() >> 8) & 0xFF));
  out.push_back(static_cast<char>(a.size() & 0xFF));
  return out + a + b;
}

// The sync_session input: each message as (varint length, bytes).
std::string SessionInput(const std::vector<rapport::v1::ClientMessage>& messages) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    for (const auto& m : messages) {
      const std::string bytes = m.SerializeAsString();
      coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
      coded.WriteString(bytes);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using rapport::Mutation;
  if (argc != 2) return Fail("usage: rapport_fuzz_seeds OUT_DIR");
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out / "record_join");
  std::filesystem::create_directories(out / "sync_session");
  char pattern[] = "/tmp/rapport-fuzz-seeds-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return Fail("mkdtemp failed");
  const std::string tmp = pattern;

  int status = 0;
  {
    auto a = rapport::Replica::Open(tmp + "/a");
    auto b = rapport::Replica::Open(tmp + "/b");
    if (!a.ok() || !b.ok()) return Fail("cannot open replicas");
    auto created = (*a)->Apply(
        {Mutation::Create("customer", {{"name", std::string("Chen Hardware")},
                                       {"city", std::string("Hangzhou")}}),
         Mutation::Increment("@0", "loyalty_points", 50), Mutation::AddElement("@0", "tags", "vip"),
         Mutation::AppendEntry(
             "@0", "interactions", rapport::Timestamp{1700000000000},
             {{"kind", rapport::EnumValue{"visit"}}, {"summary", std::string("first visit")}}),
         Mutation::SetInMap("@0", "contacts.name", "boss", std::string("Chen Wei"))});
    if (!created.ok()) return Fail(created.status().ToString());
    const std::string id = created->created.at(0);
    auto shared = rapport::ReplicaInternal::ChangesSince(**a, 0);
    if (!shared.ok()) return Fail(shared.status().ToString());
    if (!rapport::ReplicaInternal::ApplyRemoteDeltas(**b, shared->deltas).ok()) {
      return Fail("cannot share the record");
    }
    const uint64_t a_seq = shared->last_seq;
    auto b_info = (*b)->Info();
    const uint64_t b_seq = b_info.ok() ? b_info->last_seq : 0;

    // Concurrent edits: the same phone field, counters, tags added and removed, an amendment.
    auto edit_a = (*a)->Apply(
        {Mutation::Set(id, "phone", std::string("+86 138 0000 0001")),
         Mutation::Increment(id, "loyalty_points", 30), Mutation::RemoveElement(id, "tags", "vip"),
         Mutation::AmendEntry(id, "interactions.summary", created->entries.at(0),
                              std::string("first visit, amended"))});
    auto edit_b =
        (*b)->Apply({Mutation::Set(id, "phone", std::string("+86 139 0000 0002")),
                     Mutation::Increment(id, "loyalty_points", -5),
                     Mutation::AddElement(id, "tags", "wholesale"), Mutation::Delete(id)});
    if (!edit_a.ok() || !edit_b.ok()) return Fail("concurrent edits failed");
    auto delta_a = rapport::ReplicaInternal::ChangesSince(**a, a_seq);
    auto delta_b = rapport::ReplicaInternal::ChangesSince(**b, b_seq);
    auto whole_a = rapport::ReplicaInternal::ChangesSince(**a, 0);
    auto whole_b = rapport::ReplicaInternal::ChangesSince(**b, 0);
    if (!delta_a.ok() || !delta_b.ok() || !whole_a.ok() || !whole_b.ok()) {
      return Fail("cannot read deltas");
    }
    const std::string sa = rapport::crdt::EncodeRecord(whole_a->deltas.at(0));
    const std::string sb = rapport::crdt::EncodeRecord(whole_b->deltas.at(0));
    const std::string da = rapport::crdt::EncodeRecord(delta_a->deltas.at(0));
    const std::string db = rapport::crdt::EncodeRecord(delta_b->deltas.at(0));
    const std::string first = rapport::crdt::EncodeRecord(shared->deltas.at(0));
    WriteFile(out / "record_join" / "states_a_b", JoinInput(sa, sb));
    WriteFile(out / "record_join" / "state_and_delta", JoinInput(sa, db));
    WriteFile(out / "record_join" / "deltas", JoinInput(da, db));
    WriteFile(out / "record_join" / "created_and_state", JoinInput(first, sb));

    rapport::v1::ClientMessage hello;
    hello.mutable_hello()->set_replica_id("fuzz-seed");
    hello.mutable_hello()->set_protocol_version(kProtocolVersion);
    rapport::v1::ClientMessage live_hello = hello;
    live_hello.mutable_hello()->set_live(true);
    live_hello.mutable_hello()->set_announces_push_done(true);
    rapport::v1::ClientMessage push;
    push.mutable_push()->set_batch_id(1);
    for (const auto& d : whole_a->deltas) {
      rapport::crdt::RecordToProto(d, push.mutable_push()->add_deltas());
    }
    rapport::v1::ClientMessage push_b;
    push_b.mutable_push()->set_batch_id(2);
    for (const auto& d : delta_b->deltas) {
      rapport::crdt::RecordToProto(d, push_b.mutable_push()->add_deltas());
    }
    rapport::v1::ClientMessage done;
    done.mutable_push_done();
    rapport::v1::ClientMessage old_version = hello;
    old_version.mutable_hello()->set_protocol_version(kProtocolVersion + 1);
    WriteFile(out / "sync_session" / "hello", SessionInput({hello}));
    WriteFile(out / "sync_session" / "push_round", SessionInput({hello, push, push_b, done}));
    WriteFile(out / "sync_session" / "live_push_round", SessionInput({live_hello, push, done}));
    WriteFile(out / "sync_session" / "push_before_hello", SessionInput({push, hello}));
    WriteFile(out / "sync_session" / "two_hellos", SessionInput({hello, hello, done}));
    WriteFile(out / "sync_session" / "newer_version", SessionInput({old_version, push}));
  }
  std::error_code ignored;
  std::filesystem::remove_all(tmp, ignored);
  return status;
}
