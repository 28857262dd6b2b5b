// The ledger of a convergence test under faults: every edit the test made, kept by the test
// itself (not derived from the CRDT), from which the final state of every replica is predicted:
// counters summed exactly (no increment lost or doubled), every tag and timeline entry present,
// single-writer values at their last write, concurrent values all visible as conflicts, no
// value invented. Not thread-safe; used from the test's thread.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rapport/replica.h"

namespace rapport::fault {

class EditLedger {
 public:
  // `devices` devices take part; device d is the only writer of "plans" of shared customer i
  // when i % devices == d.
  explicit EditLedger(int devices) : devices_(devices) {}

  // Creates `count` customers on `creator` that every device edits (contention).
  void CreateShared(Replica& creator, int count);
  // One offline batch of random edits by device `device` in round `round`: mostly on shared
  // customers, sometimes on one it created; now and then it creates one.
  void EditOffline(Replica& replica, int device, int round, std::mt19937_64& rng);
  // The last offline writes: every device sets the same field of every shared customer
  // concurrently, so each value must stay visible (one displayed, the others as conflicts).
  void ConcurrentLastWrites(Replica& replica, int device);

  // Checks every record of the ledger on `replica` (gtest expectations naming `who`).
  void Check(const Replica& replica, const std::string& who) const;

  // Every record created anywhere.
  const std::set<std::string>& records() const { return records_; }
  // Edits recorded (increments, tags, entries and values), for reporting.
  int64_t edits() const { return edits_; }

 private:
  int devices_;
  std::vector<std::string> shared_;                    // created first, known to all
  std::set<std::string> records_;                      // every record created anywhere
  std::map<int, std::vector<std::string>> own_;        // device -> records it created
  std::map<std::string, int64_t> points_;              // record -> sum of increments
  std::map<std::string, std::set<std::string>> tags_;  // record -> tags added (never removed)
  std::map<std::string, std::map<std::string, std::string>> entries_;  // record -> id -> summary
  std::map<std::string, std::set<std::string>> cities_;  // record -> every city written
  std::map<std::string, std::string> plans_;  // record -> last "plans" (one writer per record)
  std::map<std::string, std::set<std::string>> final_phones_;  // the concurrent last writes
  int64_t edits_ = 0;
};

}  // namespace rapport::fault
