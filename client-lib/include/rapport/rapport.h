/* The C API of the Rapport client library: a thin wrapper over rapport::Replica for apps that
 * cannot use C++ (Swift, Kotlin/JNI, Dart FFI, ...). Pure C; documented in docs/client-api.md.
 *
 * Conventions:
 *   - Every function that can fail returns a rapport_status: RAPPORT_OK (0) or a code equal to
 *     the absl::StatusCode of the underlying error. The message of the last failure on the
 *     calling thread is rapport_last_error() (thread-local; "" after a success).
 *   - Strings passed in are UTF-8 and NUL-terminated; they are copied, the caller keeps them.
 *   - Strings handed out (char** out-params) are malloc'd; free them with rapport_free. On
 *     failure *out is set to NULL.
 *   - Record references are record id text (26 Crockford base32 characters), "@N" for the N-th
 *     record created earlier in the same batch, or NULL for the last one created in the batch.
 *   - No C++ exception ever crosses this API; an unexpected one becomes RAPPORT_INTERNAL.
 *
 * Thread-safety: a rapport_replica may be used from any number of threads at once; a
 * rapport_batch belongs to one thread at a time. */
#ifndef RAPPORT_RAPPORT_H_
#define RAPPORT_RAPPORT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rapport_status {
  RAPPORT_OK = 0,
  RAPPORT_CANCELLED = 1,
  RAPPORT_UNKNOWN = 2,
  RAPPORT_INVALID_ARGUMENT = 3,
  RAPPORT_DEADLINE_EXCEEDED = 4,
  RAPPORT_NOT_FOUND = 5,
  RAPPORT_ALREADY_EXISTS = 6,
  RAPPORT_PERMISSION_DENIED = 7,
  RAPPORT_RESOURCE_EXHAUSTED = 8,
  RAPPORT_FAILED_PRECONDITION = 9,
  RAPPORT_ABORTED = 10,
  RAPPORT_OUT_OF_RANGE = 11,
  RAPPORT_UNIMPLEMENTED = 12,
  RAPPORT_INTERNAL = 13,
  RAPPORT_UNAVAILABLE = 14,
  RAPPORT_DATA_LOSS = 15,
  RAPPORT_UNAUTHENTICATED = 16
} rapport_status;

typedef struct rapport_replica rapport_replica;
typedef struct rapport_batch rapport_batch;

typedef enum rapport_value_type {
  RAPPORT_VALUE_NULL = 0,
  RAPPORT_VALUE_STRING = 1,
  RAPPORT_VALUE_INT = 2,
  RAPPORT_VALUE_DOUBLE = 3,
  RAPPORT_VALUE_BOOL = 4,
  RAPPORT_VALUE_DATE = 5,     /* i = days since 1970-01-01 */
  RAPPORT_VALUE_ENUM = 6,     /* text = symbol */
  RAPPORT_VALUE_TIMESTAMP = 7 /* i = Unix milliseconds */
} rapport_value_type;

/* A scalar argument. `text` is borrowed for the duration of the call only. */
typedef struct rapport_value {
  rapport_value_type type;
  const char* text;
  int64_t i;
  double d;
} rapport_value;

rapport_value rapport_null(void);
rapport_value rapport_string(const char* text);
rapport_value rapport_int(int64_t value);
rapport_value rapport_double(double value);
rapport_value rapport_bool(int value);
rapport_value rapport_date(int year, unsigned month, unsigned day);
rapport_value rapport_enum(const char* symbol);
rapport_value rapport_timestamp(int64_t unix_ms);

/* The message of the last failed call on this thread; "" if it succeeded. Valid until the next
 * call on this thread. */
const char* rapport_last_error(void);
/* Frees a string returned by this API. NULL is fine. */
void rapport_free(void* p);

/* Opens (creating if absent) the store in directory `path`. `schema_path` NULL or "" means the
 * built-in customer schema. */
rapport_status rapport_open(const char* path, const char* schema_path, rapport_replica** out);
/* Closes the replica; NULL is fine. No other call on it may be running. A continuous sync still
 * running on it (rapport/rapport_sync.h) is stopped first; called from a sync callback, close is
 * refused instead (the replica stays open and rapport_last_error says why). */
void rapport_close(rapport_replica* replica);
/* 16 hex digits. */
rapport_status rapport_replica_id(rapport_replica* replica, char** out);

/* ---- Batches: several changes committed atomically; nothing is stored unless all pass. ---- */
rapport_status rapport_batch_begin(rapport_replica* replica, rapport_batch** out);
void rapport_batch_free(rapport_batch* batch);
/* Creates a record of `type`; refer to it later as NULL (the last one) or "@N". */
rapport_status rapport_batch_create(rapport_batch* batch, const char* type);
rapport_status rapport_batch_set(rapport_batch* batch, const char* record, const char* field,
                                 rapport_value value);
rapport_status rapport_batch_increment(rapport_batch* batch, const char* record, const char* field,
                                       int64_t amount);
rapport_status rapport_batch_add_element(rapport_batch* batch, const char* record,
                                         const char* field, const char* element);
rapport_status rapport_batch_remove_element(rapport_batch* batch, const char* record,
                                            const char* field, const char* element);
/* Appends an entry to a timeline; give its fields with rapport_batch_entry_set. */
rapport_status rapport_batch_append_entry(rapport_batch* batch, const char* record,
                                          const char* timeline, int64_t occurred_at_ms);
/* Sets sub-field `field` ("kind", "summary") of the entry appended last in this batch. */
rapport_status rapport_batch_entry_set(rapport_batch* batch, const char* field,
                                       rapport_value value);
/* `field_path` is "interactions.summary"; `entry` an entry id or "@N". */
rapport_status rapport_batch_amend_entry(rapport_batch* batch, const char* record,
                                         const char* field_path, const char* entry,
                                         rapport_value value);
rapport_status rapport_batch_retract_entry(rapport_batch* batch, const char* record,
                                           const char* timeline, const char* entry);
/* `field_path` is "contacts.phone"; `key` names the map entry. */
rapport_status rapport_batch_map_set(rapport_batch* batch, const char* record,
                                     const char* field_path, const char* key, rapport_value value);
rapport_status rapport_batch_delete(rapport_batch* batch, const char* record);
rapport_status rapport_batch_undelete(rapport_batch* batch, const char* record);
/* Commits the batch. `out_summary` (may be NULL) receives
 * {"created":[ids],"entries":[entry ids],"changed":[ids]}. A batch commits at most once. */
rapport_status rapport_batch_commit(rapport_batch* batch, char** out_summary);

/* ---- One-change shortcuts (each is a batch of one). ---- */
rapport_status rapport_set(rapport_replica* replica, const char* id, const char* field,
                           rapport_value value);
rapport_status rapport_increment(rapport_replica* replica, const char* id, const char* field,
                                 int64_t amount);
rapport_status rapport_add_element(rapport_replica* replica, const char* id, const char* field,
                                   const char* element);
rapport_status rapport_remove_element(rapport_replica* replica, const char* id, const char* field,
                                      const char* element);
rapport_status rapport_delete(rapport_replica* replica, const char* id);

/* ---- Reads. ---- */
/* The record as JSON (see docs/client-api.md); RAPPORT_NOT_FOUND if absent. */
rapport_status rapport_get(rapport_replica* replica, const char* id, char** out_json);

typedef enum rapport_query_kind {
  RAPPORT_QUERY_EQUALS = 0,
  RAPPORT_QUERY_PREFIX = 1, /* value: string */
  RAPPORT_QUERY_RANGE = 2,  /* [value, hi); null bounds are open */
  RAPPORT_QUERY_HAS_TAG = 3 /* value: string */
} rapport_query_kind;

/* One page of records of type "customer" by the index of `field`:
 * {"ids":[...],"next_cursor":"..."}; pass next_cursor back (NULL or "" for the first page). */
rapport_status rapport_query(rapport_replica* replica, const char* field, rapport_query_kind kind,
                             rapport_value value, rapport_value hi, size_t limit,
                             const char* cursor, char** out_json);

/* Called after every commit with a JSON array of changed record ids, on the committing thread;
 * it must not write to the replica. `ids_json` is valid during the call only. */
typedef void (*rapport_observer)(void* user_data, const char* ids_json);
rapport_status rapport_observe(rapport_replica* replica, rapport_observer observer, void* user_data,
                               int* out_handle);
void rapport_unobserve(rapport_replica* replica, int handle);

/* ---- Conflicts. ---- */
/* JSON array of ids of up to `limit` records with an open conflict. Scans the whole store. */
rapport_status rapport_list_conflicts(rapport_replica* replica, size_t limit, char** out_json);
/* Writes `value` to top-level value field `field`, superseding the concurrent values. */
rapport_status rapport_resolve_conflict(rapport_replica* replica, const char* id, const char* field,
                                        rapport_value value);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RAPPORT_RAPPORT_H_ */
