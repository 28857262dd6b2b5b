// The byte layout's ordering promises (docs/storage.md): seqs sort numerically, postings sort by
// (key, id) whatever bytes the keys hold, and every encoding round-trips.
#include "core/store/store_layout.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::store::layout {
namespace {

TEST(StoreLayout, SeqKeysSortNumerically) {
  const std::vector<uint64_t> seqs = {0, 1, 255, 256, 65535, 1ull << 40, ~0ull};
  for (size_t i = 1; i < seqs.size(); ++i) {
    EXPECT_LT(EncodeU64(seqs[i - 1]), EncodeU64(seqs[i]));
    EXPECT_EQ(DecodeU64(EncodeU64(seqs[i])), seqs[i]);
  }
  EXPECT_EQ(DecodeU64("short"), std::nullopt);
}

TEST(StoreLayout, PostingsSortByKeyThenIdEvenWhenKeysArePrefixesOrHoldNul) {
  const crdt::RecordId low = crdt::RecordId::FromParts(0, {});
  const crdt::RecordId high = crdt::RecordId::FromParts((1ull << 48) - 1, {0xff, 0xff, 0xff});
  // Ascending keys; each is tried with a low and a high id.
  const std::vector<std::string> keys = {
      "", std::string("\0", 1), "a", std::string("a\0", 2), std::string("a\0b", 3), "a\x01", "ab",
      "b"};
  std::vector<std::string> postings;
  for (const std::string& k : keys) {
    for (const crdt::RecordId& id : {low, high}) postings.push_back(PostingKey(1, k, id));
  }
  EXPECT_TRUE(std::is_sorted(postings.begin(), postings.end()));
  EXPECT_EQ(std::adjacent_find(postings.begin(), postings.end()), postings.end());
}

TEST(StoreLayout, PostingTailRoundTripsAndRejectsGarbage) {
  const crdt::RecordId id = crdt::RecordId::FromParts(123, {1, 2, 3});
  const std::string key("x\0y\0", 4);
  const std::string posting = PostingKey(300, key, id);
  ASSERT_EQ(posting.substr(0, 2), IndexPrefix(300));
  std::optional<PostingTail> tail = SplitPostingTail(std::string_view(posting).substr(2));
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->key, key);
  EXPECT_EQ(tail->id, id);
  EXPECT_EQ(SplitPostingTail("no terminator"), std::nullopt);
  EXPECT_EQ(SplitPostingTail(std::string("k\0\x01short", 9)), std::nullopt);
  EXPECT_EQ(SplitPostingTail(std::string("k\0\x05", 3) + std::string(16, 'i')), std::nullopt);
}

TEST(StoreLayout, IndexPrefixesOfDifferentNumbersNeverPrefixEachOther) {
  // A varint is self-delimiting, so one index's postings never fall inside another's range.
  const std::vector<uint32_t> numbers = {1, 2, 127, 128, 255, 300, 16384, UINT32_MAX};
  for (uint32_t a : numbers) {
    for (uint32_t b : numbers) {
      if (a == b) continue;
      EXPECT_FALSE(IndexPrefix(b).starts_with(IndexPrefix(a))) << a << " " << b;
    }
  }
  EXPECT_EQ(IndexPrefix(5).size(), 1u);
}

TEST(StoreLayout, PeerCheckpointRoundTrips) {
  const PeerCheckpoint c{.pull = {1ull << 50, (1ull << 50) + 9}, .push = {7, 7}};
  EXPECT_EQ(DecodePeer(EncodePeer(c)), c);
  EXPECT_EQ(DecodePeer("bad"), std::nullopt);
  // Position behind base is corrupt.
  EXPECT_EQ(DecodePeer(EncodePeer({.pull = {5, 4}, .push = {}})), std::nullopt);
  // The 16-byte form written before resumable scans reads as base == position.
  EXPECT_EQ(DecodePeer(EncodeU64(8) + EncodeU64(3)),
            (PeerCheckpoint{FeedCheckpoint::At(8), FeedCheckpoint::At(3)}));
}

}  // namespace
}  // namespace rapport::store::layout
