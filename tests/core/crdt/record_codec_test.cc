#include "core/crdt/record_codec.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "core/crdt/wire_format.h"
#include "gtest/gtest.h"
#include "tests/core/crdt/replica_fixture.h"

namespace rapport::crdt {
namespace {

using testing::TestReplica;

// A record that uses every kind, every scalar type, conflicts, a retraction and a contact.
Record RichRecord() {
  TestReplica a(11), b(22);
  auto edit_a = a.Edit(1'700'000'000'000, [](RecordEdit& e) {
    ASSERT_TRUE(e.Set(1, std::string("Wang Fang 王芳")).ok());
    ASSERT_TRUE(e.Set(2, int64_t{-42}).ok());
    ASSERT_TRUE(e.Set(3, 2.5).ok());
    ASSERT_TRUE(e.Set(4, true).ok());
    ASSERT_TRUE(e.Set(5, DateFromCivil(1980, 2, 29)).ok());
    ASSERT_TRUE(e.Set(6, EnumSymbol{"potential"}).ok());
    ASSERT_TRUE(e.Set(7, Timestamp{1'700'000'000'123}).ok());
    ASSERT_TRUE(e.Increment(10, 50).ok());
    ASSERT_TRUE(e.AddElement(11, "vip").ok());
    ASSERT_TRUE(e.AddElement(11, "north").ok());
    ASSERT_TRUE(e.SetInMap(13, "c1", 1, std::string("Ms Chen")).ok());
  });
  auto edit_b = b.Edit(1'700'000'000'000, [](RecordEdit& e) {
    ASSERT_TRUE(e.Set(1, std::string("Wang F.")).ok());
    ASSERT_TRUE(e.Increment(10, -5).ok());
    ASSERT_TRUE(e.AddElement(11, "vip").ok());
    ASSERT_TRUE(e.AppendEntry(12, {{Timeline::kOccurredAt, Timestamp{1}},
                                   {Timeline::kFirstUserField, std::string("visit")}})
                    .ok());
    ASSERT_TRUE(e.Delete().ok());
  });
  a.Receive(edit_b);
  a.Edit(1'700'000'000'500, [](RecordEdit& e) { ASSERT_TRUE(e.RemoveElement(11, "north").ok()); });
  return a.record();
}

TEST(RecordCodec, RoundTripPreservesStateAndCanonicalBytes) {
  const Record r = RichRecord();
  ASSERT_TRUE(r.HasConflicts());
  const std::string bytes = EncodeRecord(r);
  absl::StatusOr<Record> decoded = DecodeRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);
  EXPECT_EQ(EncodeRecord(*decoded), bytes);
}

TEST(RecordCodec, StoreFormKeepsLocalSeqs) {
  const Record r = RichRecord();
  absl::StatusOr<Record> decoded = DecodeRecord(EncodeRecord(r, {.with_seqs = true}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->MaxSeq(), r.MaxSeq());
  EXPECT_EQ(EncodeRecord(decoded->DeltaSince(1)), EncodeRecord(r.DeltaSince(1)));
}

TEST(RecordCodec, SameStateReachedInDifferentOrdersEncodesIdentically) {
  TestReplica a(1), b(2), c(3);
  Record d1 = a.Edit(10, [](RecordEdit& e) { ASSERT_TRUE(e.AddElement(11, "x").ok()); });
  Record d2 = b.Edit(10, [](RecordEdit& e) { ASSERT_TRUE(e.Set(1, std::string("y")).ok()); });
  Record d3 = c.Edit(10, [](RecordEdit& e) { ASSERT_TRUE(e.Increment(10, 3).ok()); });
  TestReplica x(4), y(5);
  for (const Record* d : {&d1, &d2, &d3}) x.Receive(*d);
  for (const Record* d : {&d3, &d1, &d2, &d1}) y.Receive(*d);
  EXPECT_EQ(x.Canonical(), y.Canonical());
}

TEST(RecordCodec, ErasedRecordKeepsOnlyIdTypeAndMarker) {
  Record r = RichRecord();
  r.Erase(99);
  absl::StatusOr<Record> decoded = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->erased());
  EXPECT_TRUE(decoded->fields().empty());
  EXPECT_EQ(decoded->id(), r.id());
}

TEST(RecordCodec, GarbageBytesAreRefusedNeverCrash) {
  std::mt19937 rng(7);
  const std::string good = EncodeRecord(RichRecord());
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = good;
    // Flip, drop or insert a few bytes: most mutants are malformed, some stay valid.
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !bytes.empty(); ++k) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(at, 1);
          break;
        case 2:
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
      }
    }
    absl::StatusOr<Record> decoded = DecodeRecord(bytes);
    if (!decoded.ok()) {
      ++refused;
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    // Whatever decodes must be a usable state: it re-encodes and decodes to itself.
    absl::StatusOr<Record> again = DecodeRecord(EncodeRecord(*decoded));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *decoded);
  }
  EXPECT_GT(refused, 1000);
}

TEST(RecordCodec, BytesAreExactlyWhatProtobufSerializes) {
  for (bool with_seqs : {false, true}) {
    const std::string bytes = EncodeRecord(RichRecord(), {.with_seqs = with_seqs});
    rapport::v1::RecordState parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.SerializeAsString(), bytes);
  }
}

TEST(RecordCodec, SeqsOfTheStoreFormRoundTripAtEveryCheckpoint) {
  TestReplica a(11), b(22);
  Record r = RichRecord();
  TestReplica c(33);
  c.Receive(r);
  Dot visit;
  c.Edit(1'700'000'100'000, [&](RecordEdit& e) {
    ASSERT_TRUE(e.Set(2, int64_t{7}).ok());
    visit = *e.AppendEntry(12, {{Timeline::kOccurredAt, Timestamp{1'700'000'099'000}},
                                {Timeline::kFirstUserField, std::string("call")}});
  });
  c.Edit(1'700'000'200'000, [&](RecordEdit& e) {
    // An amendment gives one field of the entry a dot (and seq) of its own.
    ASSERT_TRUE(e.AmendEntry(12, visit, Timeline::kFirstUserField, std::string("visit")).ok());
    ASSERT_TRUE(e.Increment(10, 1).ok());
  });
  const Record& state = c.record();
  absl::StatusOr<Record> decoded = DecodeRecord(EncodeRecord(state, {.with_seqs = true}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, state);
  ASSERT_GT(state.MaxSeq(), 2u);
  for (uint64_t seq = 0; seq <= state.MaxSeq(); ++seq) {
    EXPECT_EQ(EncodeRecord(decoded->DeltaSince(seq)), EncodeRecord(state.DeltaSince(seq))) << seq;
  }
}

TEST(RecordCodec, ExtremeStampsAndTimestampsRoundTrip) {
  Record r(RecordId::FromParts(1, {9}), "customer");
  const Dot late{7, MakeHlc((uint64_t{1} << 48) - 1, 0xFFFF)};
  const Dot counted{3, MakeHlc(5, 12)};  // a later millisecond with a counter
  const Dot early{9, MakeHlc(0, 1)};
  Fields& f = r.mutable_fields();
  f.FindOrCreate(1, FieldKind::kValue)->As<ValueRegister>()->Write(late, Timestamp{INT64_MIN});
  f.FindOrCreate(2, FieldKind::kValue)->As<ValueRegister>()->Write(counted, Timestamp{INT64_MAX});
  f.FindOrCreate(3, FieldKind::kValue)->As<ValueRegister>()->Write(early, -0.5);
  f.FindOrCreate(4, FieldKind::kValue)
      ->As<ValueRegister>()
      ->Write(early, Scalar(std::string(300, 'x')));
  ValueRegister* two = f.FindOrCreate(5, FieldKind::kValue)->As<ValueRegister>();
  ValueRegister other;
  other.Write(counted, Timestamp{-1});
  two->Write(late, Date{INT32_MIN});
  two->Join(other);
  ASSERT_TRUE(two->HasConflict());
  const std::string bytes = EncodeRecord(r);
  absl::StatusOr<Record> decoded = DecodeRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);
  EXPECT_EQ(EncodeRecord(*decoded), bytes);
}

TEST(RecordCodec, FormatOneBytesAreRefusedNamingTheRetiredFormat) {
  // A format-1 record: id, then its dot table's stamp column (field 5, retired).
  std::string old;
  wire::WireWriter w(&old);
  w.Bytes(1, RecordId::FromParts(1, {2}).bytes());
  w.Bytes(5, std::string(1, '\x05'));
  absl::Status st = DecodeRecord(old).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("retired record format 1"), std::string::npos) << st;
}

// A tag whose wire type does not fit its field, as a message's last bytes: the reader has
// nothing left, so it looked done and the field was taken as absent. For a field's kind (map,
// timeline, ...) that meant decoding a body that was never read: a wild read the record_join
// fuzzer found under ASan (FieldWithAKindTagButNoBodyIsRefused).
TEST(RecordCodec, LastTagWithTheWrongWireTypeIsRefused) {
  const std::string good = EncodeRecord(RichRecord());
  ASSERT_TRUE(DecodeRecord(good).ok());
  // Field 13 (the record's seq) is a varint; tag (13 << 3) | 2 says length-delimited.
  absl::Status st = DecodeRecord(good + "\x6A").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("malformed field 13"), std::string::npos) << st;
}

TEST(RecordCodec, FieldWithAKindTagButNoBodyIsRefused) {
  // The record the record_join fuzzer found: a map field (kind 7) whose tag is the field
  // message's last byte, with the varint wire type. Its body used to be read from an empty
  // std::optional.
  const std::string record(
      "\x0a\x10\x01\xa2\x2b\x5d\x4c\xf4\x2d\x11\x0c\xf0\x3f\x0e\xd7\x14\x8e\x6e\x12\x08\x63\x75"
      "\x73\x74\x6f\x6d\x65\x72\x1a\x08\x04\x0b\x69\x65\xc9\x7e\x6e\x89\x22\x03\x00\x00\x00\x32"
      "\x55\x2a\x08\xaa\x2a\x01\x03\x08\x22\xbe\x00\x2a\x0e\x08\xbe\x01\x22\x09\x0a\x01\x00\x12"
      "\x01\x50\x1a\x00\x00\x2a\x23\x08\xb6\x02\x32\x1e\x12\x01\x01\x1a\x19\x32\x17\x02\x59\x28"
      "\x66\x69\x72\x73\x74\x20\x76\x69\x73\x69\x74\x2c\x20\x61\x6d\x65\x6e\x64\x65\x64\x32\x14"
      "\x29\x02\x22\x2b\x38\x36\x20\x31\x33\x38\x20\x30\x30\x30\x30\x20\x30\x30\x30\x31\x5a\x09"
      "\xd1\xe7\xd4\xeb\x8a\xd1\x01\x04\x61",
      141);
  absl::Status st = DecodeRecord(record).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("malformed field 7"), std::string::npos) << st;
}

TEST(RecordCodec, DeeplyNestedMapsAreRefusedNotOverflowingTheStack) {
  // Field sets nested through map entries far deeper than any schema (and than protobuf's own
  // parser accepts), built inside out.
  std::string fields;
  for (int depth = 0; depth < 5000; ++depth) {
    std::string outer;
    wire::WireWriter w(&outer);
    const size_t field = w.Begin(5);  // FieldsState.fields
    w.Tag(1, wire::kVarint);          // FieldState.id
    w.Varint(1);
    const size_t map = w.Begin(7);  // FieldState.map
    w.Bytes(2, "k");                // MapState.keys
    w.Bytes(3, fields);             // MapState.entries
    w.End(map);
    w.End(field);
    fields = std::move(outer);
  }
  std::string bytes;
  wire::WireWriter w(&bytes);
  w.Bytes(1, RecordId::FromParts(1, {2}).bytes());
  w.Bytes(6, fields);  // RecordState.fields
  absl::Status st = DecodeRecord(bytes).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("nest too deeply"), std::string::npos) << st;
}

TEST(RecordCodec, CommittedFuzzSeedsDecode) {
  // fuzz/corpus/record_join holds two encodings per file (2-byte length of the first). Seeds in
  // a retired format would only exercise the refusal path: regenerate them (docs/reliability.md).
  const std::filesystem::path dir =
      std::filesystem::path(RAPPORT_SOURCE_DIR) / "fuzz" / "corpus" / "record_join";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::string bytes = content.str();
    ASSERT_GE(bytes.size(), 2u) << entry.path();
    const size_t first =
        (static_cast<size_t>(static_cast<uint8_t>(bytes[0])) << 8) | static_cast<uint8_t>(bytes[1]);
    ASSERT_LE(first, bytes.size() - 2) << entry.path();
    absl::StatusOr<Record> a = DecodeRecord(std::string_view(bytes).substr(2, first));
    absl::StatusOr<Record> b = DecodeRecord(std::string_view(bytes).substr(2 + first));
    ASSERT_TRUE(a.ok()) << entry.path() << ": " << a.status();
    ASSERT_TRUE(b.ok()) << entry.path() << ": " << b.status();
    ASSERT_EQ(a->id(), b->id()) << entry.path();
    Record ab = *a, ba = *b;
    ab.Join(*b, 1);
    ba.Join(*a, 1);
    EXPECT_EQ(EncodeRecord(ab), EncodeRecord(ba)) << entry.path();
    ++seeds;
  }
  EXPECT_GE(seeds, 5);
}

TEST(Scalar, ExtremeDatesFromTheWireFormatWithoutOverflow) {
  // Regression: day numbers near INT32_MAX overflowed int32 inside CivilFromDate.
  EXPECT_FALSE(ScalarToText(Date{INT32_MAX}).empty());
  EXPECT_FALSE(ScalarToText(Date{INT32_MIN}).empty());
  EXPECT_EQ(ScalarToText(DateFromCivil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(ScalarToText(Date{0}), "1970-01-01");
}

TEST(RecordCodec, RefusalNamesWhatIsWrong) {
  rapport::v1::RecordState s;
  RecordToProto(RichRecord(), &s);
  rapport::v1::FieldState* bad = s.mutable_fields()->add_fields();
  bad->set_id(500);
  bad->mutable_value()->add_sibling_dots(999);
  bad->mutable_value()->set_sibling_values(std::string(1, '\0'));
  absl::Status st = RecordFromProto(s).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("dot index"), std::string::npos) << st;

  // Field 1 is plain; a second field 1 among the others is a duplicate.
  rapport::v1::RecordState dup;
  RecordToProto(RichRecord(), &dup);
  rapport::v1::FieldState* again = dup.mutable_fields()->add_fields();
  again->set_id(1);
  again->mutable_counter();
  st = RecordFromProto(dup).status();
  EXPECT_NE(st.message().find("field 1 appears twice"), std::string::npos) << st;
  EXPECT_FALSE(DecodeRecord("\xff\xff\xff").ok());
}

}  // namespace
}  // namespace rapport::crdt
