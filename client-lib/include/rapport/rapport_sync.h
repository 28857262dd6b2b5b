/* The C API of sync (rapport/sync.h) for mobile bindings: one session with a server, with a
 * progress callback. Same conventions as rapport.h (status codes, rapport_last_error,
 * rapport_free). Needs the rapport_sync_client library (gRPC).
 *
 * Thread-safety: rapport_sync_once may run concurrently with any use of the replica; the
 * progress callback runs on the session's threads. */
#ifndef RAPPORT_RAPPORT_SYNC_H_
#define RAPPORT_RAPPORT_SYNC_H_

#include <stddef.h>
#include <stdint.h>

#include "rapport/rapport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rapport_sync_progress {
  size_t pushed;          /* records sent so far */
  size_t acknowledged;    /* of those, stored (or refused) by the server */
  size_t pulled;          /* records received and committed so far */
  size_t bytes;           /* message bytes sent plus received */
  size_t estimated_total; /* the server's estimate of records to pull, or 0 */
} rapport_sync_progress;

typedef void (*rapport_progress_fn)(const rapport_sync_progress* progress, void* context);

typedef struct rapport_sync_config {
  const char* token;               /* bearer token, or NULL */
  const char* tls_root_ca;         /* PEM of the server's CA, or NULL for plaintext */
  int64_t deadline_ms;             /* 0: the default (10 minutes) */
  rapport_progress_fn on_progress; /* may be NULL */
  void* progress_context;
} rapport_sync_config;

/* One sync session with the server at `address` ("host:port"). `config` may be NULL.
 * `out_summary` (may be NULL) receives JSON: {"pushed":N,"pulled":N,"pulled_changed":N,
 * "bytes":N,"rejections":[{"record_id":"...","code":N,"message":"..."}]}. */
rapport_status rapport_sync_once(rapport_replica* replica, const char* address,
                                 const rapport_sync_config* config, char** out_summary);

#ifdef __cplusplus
}
#endif

#endif /* RAPPORT_RAPPORT_SYNC_H_ */
