/* Exercises the C API from C: exits non-zero on the first failed check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rapport/rapport.h"
#include "rapport/rapport_sync.h" /* compiles as C (not called here: no gRPC linked) */

static int failures = 0;

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              rapport_last_error());                                                           \
      failures++;                                                                              \
    }                                                                                          \
  } while (0)

#define CHECK_OK(expr) CHECK((expr) == RAPPORT_OK)

static int observed_calls = 0;
static char observed_ids[512];

static void on_change(void* user_data, const char* ids_json) {
  int* tag = (int*)user_data;
  CHECK(*tag == 42);
  observed_calls++;
  snprintf(observed_ids, sizeof observed_ids, "%s", ids_json);
}

/* Copies the 26-character id that follows `key` + "\":[\"" in `json` into `out`. */
static int first_id(const char* json, const char* key, char out[27]) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":[\"", key);
  const char* p = strstr(json, pattern);
  if (p == NULL) return 0;
  p += strlen(pattern);
  memcpy(out, p, 26);
  out[26] = '\0';
  return 1;
}

int main(void) {
  char dir[] = "/tmp/rapport-capi-XXXXXX";
  if (mkdtemp(dir) == NULL) return 2;
  char path[256];
  snprintf(path, sizeof path, "%s/store", dir);

  rapport_replica* r = NULL;
  CHECK_OK(rapport_open(path, NULL, &r));
  if (r == NULL) return 1;

  char* replica_id = NULL;
  CHECK_OK(rapport_replica_id(r, &replica_id));
  CHECK(replica_id != NULL && strlen(replica_id) == 16);

  int tag = 42;
  int handle = 0;
  CHECK_OK(rapport_observe(r, on_change, &tag, &handle));

  /* One batch: a customer with a tag, points and a visit. */
  rapport_batch* b = NULL;
  CHECK_OK(rapport_batch_begin(r, &b));
  CHECK_OK(rapport_batch_create(b, "customer"));
  CHECK_OK(rapport_batch_set(b, NULL, "name", rapport_string("Zhou \"Quoted\" Tea 茶")));
  CHECK_OK(rapport_batch_set(b, NULL, "next_follow_up", rapport_date(2026, 3, 4)));
  CHECK_OK(rapport_batch_set(b, NULL, "lifecycle_stage", rapport_enum("current")));
  CHECK_OK(rapport_batch_increment(b, NULL, "loyalty_points", 25));
  CHECK_OK(rapport_batch_add_element(b, NULL, "tags", "vip"));
  CHECK_OK(rapport_batch_append_entry(b, NULL, "interactions", 1772442000000LL));
  CHECK_OK(rapport_batch_entry_set(b, "kind", rapport_enum("visit")));
  CHECK_OK(rapport_batch_entry_set(b, "summary", rapport_string("line1\nline2")));
  CHECK_OK(rapport_batch_map_set(b, "@0", "contacts.name", "boss", rapport_string("Zhou Li")));
  char* summary = NULL;
  CHECK_OK(rapport_batch_commit(b, &summary));
  CHECK(rapport_batch_commit(b, NULL) == RAPPORT_FAILED_PRECONDITION);
  rapport_batch_free(b);
  char id[27] = {0};
  CHECK(summary != NULL && first_id(summary, "created", id));
  rapport_free(summary);
  CHECK(observed_calls == 1);
  CHECK(strstr(observed_ids, id) != NULL);

  /* Shortcuts. */
  CHECK_OK(rapport_set(r, id, "city", rapport_string("Hangzhou")));
  CHECK_OK(rapport_increment(r, id, "loyalty_points", 5));
  CHECK_OK(rapport_add_element(r, id, "tags", "tea"));
  CHECK_OK(rapport_remove_element(r, id, "tags", "tea"));

  /* A failing batch stores nothing and reports field and rule. */
  CHECK_OK(rapport_batch_begin(r, &b));
  CHECK_OK(rapport_batch_set(b, id, "city", rapport_string("Ningbo")));
  CHECK_OK(rapport_batch_set(b, id, "email", rapport_string("broken")));
  CHECK(rapport_batch_commit(b, NULL) == RAPPORT_INVALID_ARGUMENT);
  CHECK(strstr(rapport_last_error(), "email") != NULL);
  CHECK(strstr(rapport_last_error(), "pattern") != NULL);
  rapport_batch_free(b);
  CHECK(rapport_set(r, id, "birthday", rapport_string("x")) == RAPPORT_INVALID_ARGUMENT);
  CHECK(rapport_set(r, "not-an-id", "city", rapport_string("x")) == RAPPORT_INVALID_ARGUMENT);
  CHECK(rapport_set(r, NULL, "city", rapport_string("x")) == RAPPORT_INVALID_ARGUMENT);

  char* json = NULL;
  CHECK_OK(rapport_get(r, id, &json));
  CHECK(json != NULL);
  if (json != NULL) {
    CHECK(strstr(json, "\"Zhou \\\"Quoted\\\" Tea 茶\"") != NULL);
    CHECK(strstr(json, "\"city\":{\"value\":\"Hangzhou\",\"conflicts\":[]}") != NULL);
    CHECK(strstr(json, "\"loyalty_points\":30") != NULL);
    CHECK(strstr(json, "\"tags\":[\"vip\"]") != NULL);
    CHECK(strstr(json, "\"next_follow_up\":{\"value\":\"2026-03-04\"") != NULL);
    CHECK(strstr(json, "line1\\nline2") != NULL);
    CHECK(strstr(json, "\"boss\":{\"name\":{\"value\":\"Zhou Li\"") != NULL);
    rapport_free(json);
  }
  CHECK(rapport_get(r, "01ARZ3NDEKTSV4RRFFQ69G5FAV", &json) == RAPPORT_NOT_FOUND);
  CHECK(json == NULL);

  /* Queries. */
  CHECK_OK(rapport_query(r, "next_follow_up", RAPPORT_QUERY_RANGE, rapport_date(2026, 3, 2),
                         rapport_date(2026, 3, 9), 10, NULL, &json));
  CHECK(json != NULL && strstr(json, id) != NULL);
  rapport_free(json);
  CHECK_OK(rapport_query(r, "name", RAPPORT_QUERY_PREFIX, rapport_string("ZHOU"), rapport_null(),
                         10, "", &json));
  CHECK(json != NULL && strstr(json, id) != NULL && strstr(json, "\"next_cursor\":\"\"") != NULL);
  rapport_free(json);
  CHECK_OK(rapport_query(r, "tags", RAPPORT_QUERY_HAS_TAG, rapport_string("tea"), rapport_null(),
                         10, NULL, &json));
  CHECK(json != NULL && strcmp(json, "{\"ids\":[],\"next_cursor\":\"\"}") == 0);
  rapport_free(json);
  CHECK_OK(rapport_query(r, "lifecycle_stage", RAPPORT_QUERY_EQUALS, rapport_enum("current"),
                         rapport_null(), 10, NULL, &json));
  CHECK(json != NULL && strstr(json, id) != NULL);
  rapport_free(json);
  CHECK(rapport_query(r, "address", RAPPORT_QUERY_EQUALS, rapport_string("x"), rapport_null(), 10,
                      NULL, &json) == RAPPORT_INVALID_ARGUMENT);

  /* Conflicts: none on a single replica; resolve is a plain write. */
  CHECK_OK(rapport_list_conflicts(r, 10, &json));
  CHECK(json != NULL && strcmp(json, "[]") == 0);
  rapport_free(json);
  CHECK_OK(rapport_resolve_conflict(r, id, "city", rapport_string("Shaoxing")));

  int before = observed_calls;
  rapport_unobserve(r, handle);
  CHECK_OK(rapport_delete(r, id));
  CHECK(observed_calls == before);

  rapport_close(r);

  /* Reopen: same replica id, record still there (deleted). */
  CHECK_OK(rapport_open(path, "", &r));
  char* again = NULL;
  CHECK_OK(rapport_replica_id(r, &again));
  CHECK(again != NULL && replica_id != NULL && strcmp(again, replica_id) == 0);
  CHECK_OK(rapport_get(r, id, &json));
  CHECK(json != NULL && strstr(json, "\"deleted\":true") != NULL);
  rapport_free(json);
  rapport_free(again);
  rapport_free(replica_id);
  rapport_close(r);

  CHECK(rapport_open(NULL, NULL, &r) == RAPPORT_INVALID_ARGUMENT && r == NULL);
  CHECK(strlen(rapport_last_error()) > 0);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
