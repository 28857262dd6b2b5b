/* The C API of sync (rapport/sync.h) for mobile bindings: one session with a server
 * (rapport_sync_once), or a continuous sync that stays live and reconnects by itself
 * (rapport_continuous_sync_*), with progress and status callbacks. Same conventions as rapport.h
 * (status codes, rapport_last_error, rapport_free, opaque handles). Needs the
 * rapport_sync_client library (gRPC). Documented in docs/client-api.md.
 *
 * Thread-safety: rapport_sync_once and a continuous sync may run concurrently with any use of
 * the replica; callbacks run on the sync's own threads, never on the caller's. A
 * rapport_continuous_sync handle may be used from any number of threads at once. */
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

/* ---- Continuous sync: a live session kept open in the background. ---- */

typedef enum rapport_sync_state {
  RAPPORT_SYNC_IDLE = 0,        /* not syncing (also after stop) */
  RAPPORT_SYNC_CONNECTING = 1,  /* message: the server address */
  RAPPORT_SYNC_PUSHING = 2,     /* sending local changes */
  RAPPORT_SYNC_PULLING = 3,     /* receiving the server's backlog */
  RAPPORT_SYNC_LIVE = 4,        /* caught up; changes flow both ways as they commit */
  RAPPORT_SYNC_BACKING_OFF = 5, /* waiting to reconnect; message: "retrying in N ms" */
  RAPPORT_SYNC_ERROR = 6        /* the session failed; message: why */
} rapport_sync_state;

/* "idle", "connecting", "pushing", "pulling", "live", "backing off", "error". */
const char* rapport_sync_state_name(rapport_sync_state state);

/* `message` is never NULL and is valid during the call only. */
typedef void (*rapport_sync_status_fn)(rapport_sync_state state, const char* message,
                                       void* context);

typedef struct rapport_continuous_sync rapport_continuous_sync;

typedef struct rapport_continuous_sync_config {
  const char* token;                /* bearer token, or NULL */
  const char* tls_root_ca;          /* PEM of the server's CA, or NULL for plaintext */
  int32_t initial_backoff_ms;       /* first retry after about this long; 0: 500 */
  int32_t max_backoff_ms;           /* cap of the exponential backoff; 0: 60000 */
  rapport_progress_fn on_progress;  /* may be NULL; counts restart with every session */
  rapport_sync_status_fn on_status; /* may be NULL */
  void* context;                    /* passed to both callbacks */
} rapport_continuous_sync_config;

/* Starts syncing `replica` with the server at `address` ("host:port") in the background: it
 * pushes and pulls, then stays live (local commits are pushed as they happen, the server's
 * arrive without a new call; see rapport_observe), and after a failure reconnects with
 * exponential backoff and jitter until stopped. `config` may be NULL. The strings are copied.
 *
 * Callbacks run on the sync's threads, one at a time (never two at once for one sync), and never
 * after rapport_continuous_sync_stop has returned. A callback must return quickly (the session
 * waits for it) and must not wait for a thread that may be calling stop. It may read the
 * replica and call rapport_continuous_sync_state; stop, free and rapport_close called from a
 * callback are refused (RAPPORT_FAILED_PRECONDITION), since they wait for callbacks to end.
 *
 * Several continuous syncs may run on one replica. rapport_close on the replica first stops each
 * one still running (as stop does); their handles stay valid, idle, until freed. */
rapport_status rapport_continuous_sync_start(rapport_replica* replica, const char* address,
                                             const rapport_continuous_sync_config* config,
                                             rapport_continuous_sync** out);

/* The current state; `out_error` (may be NULL) receives the last error message. A failed session
 * reads ERROR, then BACKING_OFF until the next attempt; its message stays until a session is
 * live again (then ""). */
rapport_status rapport_continuous_sync_state(rapport_continuous_sync* sync,
                                             rapport_sync_state* out_state, char** out_error);

/* Ends the live session and stops reconnecting. Blocks until the background work has ended and
 * no callback of this sync is running; no callback runs after it returns. Safe from any thread
 * (except from this API's callbacks: refused) and any number of times; later calls return
 * RAPPORT_OK at once, or wait for a stop in progress on another thread. */
rapport_status rapport_continuous_sync_stop(rapport_continuous_sync* sync);

/* Stops (as rapport_continuous_sync_stop) and frees the handle. NULL is fine. From one of this
 * API's callbacks it is refused: the handle stays valid and rapport_last_error says why. */
void rapport_continuous_sync_free(rapport_continuous_sync* sync);

#ifdef __cplusplus
}
#endif

#endif /* RAPPORT_RAPPORT_SYNC_H_ */
