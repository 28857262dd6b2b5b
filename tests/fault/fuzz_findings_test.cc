// What the fuzzers found in code this harness does not own, reduced to deterministic tests.
// Each stays DISABLED_ until its owner fixes it; meanwhile the fuzz target steps around the case
// (with a comment naming the test), so CI's fuzz runs keep looking for new findings.
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

// Bug (tools/cli/import_plan.cc, AppendRowMutations, found by fuzz target csv_import): a
// re-imported row moves a counter by `want - have` computed in int64, which overflows when the
// two are far apart (undefined behaviour; in practice a wrapped, negative move). A row asking
// for the largest loyalty points onto a record at -20 must move them up, or be refused.
TEST(FuzzFindings, DISABLED_ReimportMovesACounterFromNegativeToNearMax) {
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
  for (const Mutation& m : planned) {
    if (m.op == Mutation::Op::kIncrement) {
      EXPECT_GT(m.amount, 0) << "loyalty points moved down on the way up to the maximum";
    }
  }
}

}  // namespace
}  // namespace rapport
