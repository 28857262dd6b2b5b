// rapport_sync_once: the C API of sync against an in-process server.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "rapport/rapport_sync.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

struct ProgressLog {
  int calls = 0;
  size_t last_pulled = 0;
};

void OnProgress(const rapport_sync_progress* progress, void* context) {
  auto* log = static_cast<ProgressLog*>(context);
  ++log->calls;
  log->last_pulled = progress->pulled;
}

std::string Take(char* text) {
  std::string out = text == nullptr ? "" : text;
  rapport_free(text);
  return out;
}

class CSyncApiTest : public testing::SyncTest {};

TEST_F(CSyncApiTest, SyncOnceMovesARecordBetweenTwoReplicasAndReportsProgress) {
  rapport_replica* a = nullptr;
  rapport_replica* b = nullptr;
  ASSERT_EQ(rapport_open(tmp_.Sub("a").c_str(), nullptr, &a), RAPPORT_OK) << rapport_last_error();
  ASSERT_EQ(rapport_open(tmp_.Sub("b").c_str(), nullptr, &b), RAPPORT_OK) << rapport_last_error();
  rapport_batch* batch = nullptr;
  ASSERT_EQ(rapport_batch_begin(a, &batch), RAPPORT_OK);
  ASSERT_EQ(rapport_batch_create(batch, "customer"), RAPPORT_OK);
  ASSERT_EQ(rapport_batch_set(batch, nullptr, "name", rapport_string("Chen Hardware")), RAPPORT_OK);
  char* created = nullptr;
  ASSERT_EQ(rapport_batch_commit(batch, &created), RAPPORT_OK) << rapport_last_error();
  rapport_batch_free(batch);
  const std::string created_json = Take(created);
  const std::string id = created_json.substr(created_json.find("[\"") + 2, 26);

  char* summary = nullptr;
  ASSERT_EQ(rapport_sync_once(a, address_.c_str(), nullptr, &summary), RAPPORT_OK)
      << rapport_last_error();
  EXPECT_NE(Take(summary).find("\"pushed\":1,"), std::string::npos);

  ProgressLog log;
  rapport_sync_config config{};
  config.on_progress = &OnProgress;
  config.progress_context = &log;
  ASSERT_EQ(rapport_sync_once(b, address_.c_str(), &config, &summary), RAPPORT_OK)
      << rapport_last_error();
  EXPECT_NE(Take(summary).find("\"pulled\":1,"), std::string::npos);
  EXPECT_GE(log.calls, 1);
  EXPECT_EQ(log.last_pulled, 1u);
  char* json = nullptr;
  ASSERT_EQ(rapport_get(b, id.c_str(), &json), RAPPORT_OK) << rapport_last_error();
  EXPECT_NE(Take(json).find("Chen Hardware"), std::string::npos);
  rapport_close(a);
  rapport_close(b);
}

TEST_F(CSyncApiTest, ErrorsComeBackAsCodesWithAMessage) {
  char* summary = nullptr;
  EXPECT_EQ(rapport_sync_once(nullptr, address_.c_str(), nullptr, &summary),
            RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(summary, nullptr);
  EXPECT_NE(std::string(rapport_last_error()).find("replica"), std::string::npos);

  rapport_replica* a = nullptr;
  ASSERT_EQ(rapport_open(tmp_.Sub("a").c_str(), nullptr, &a), RAPPORT_OK);
  KillServer();  // nothing listens on the address any more
  rapport_sync_config config{};
  config.deadline_ms = 2000;
  EXPECT_NE(rapport_sync_once(a, address_.c_str(), &config, &summary), RAPPORT_OK);
  EXPECT_STRNE(rapport_last_error(), "");
  rapport_close(a);
}

}  // namespace
}  // namespace rapport
