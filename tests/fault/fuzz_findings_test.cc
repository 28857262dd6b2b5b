// What the fuzzers found in code this harness does not own, reduced to deterministic tests that
// failed before the fix.
#include <cstdint>
#include <limits>
#include <vector>

#include "core/schema/schema.h"
#include "gtest/gtest.h"
#include "rapport/mutation.h"
#include "rapport/record_view.h"
#include "tools/cli/import_plan.h"
#include "tools/cli/input_rows.h"

namespace rapport {
namespace {

// Regression (tools/cli/import_plan.cc, AppendRowMutations, found by fuzz target csv_import): a
// re-imported row moved a counter by `want - have` computed in int64, which overflowed when the
// two were far apart (undefined behaviour; in practice a wrapped, negative move). A row asking
// for the largest loyalty points onto a record at -20 must move them up, to exactly that.
TEST(FuzzFindings, ReimportMovesACounterFromNegativeToNearMax) {
  const schema::RecordType* type = schema::Schema::DefaultCustomer().FindType("customer");
  ASSERT_NE(type, nullptr);
  cli::InputRow row;
  row.line = 2;
  row.present = {"loyalty_points"};
  row.data.counters["loyalty_points"] = std::numeric_limits<int64_t>::max();
  RecordView existing;
  existing.id = "01JNQ3ZK5W0000000000000000";
  existing.type = "customer";
  existing.counters["loyalty_points"] = -20;
  cli::BatchRefs refs;
  std::vector<Mutation> planned;
  cli::AppendRowMutations(*type, row, &existing, refs, planned);
  uint64_t moved = 0;  // the steps add up modulo 2^64, as the counter does
  for (const Mutation& m : planned) {
    if (m.op != Mutation::Op::kIncrement) continue;
    EXPECT_GT(m.amount, 0) << "loyalty points moved down on the way up to the maximum";
    moved += static_cast<uint64_t>(m.amount);
  }
  EXPECT_EQ(static_cast<int64_t>(static_cast<uint64_t>(-20) + moved),
            std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace rapport
