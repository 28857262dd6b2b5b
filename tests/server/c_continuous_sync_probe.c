/* See c_continuous_sync_probe.h. Compiled as C11 with POSIX threads, as a C app would be. */
#include "tests/server/c_continuous_sync_probe.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rapport/rapport_sync.h"

#define PROBE_CHECK(cond)                                                                      \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              rapport_last_error());                                                           \
      failures++;                                                                              \
    }                                                                                          \
  } while (0)

typedef struct probe_log {
  pthread_mutex_t mu;
  pthread_cond_t changed;
  int statuses;
  int lives;
  int progress_reports;
} probe_log;

static void on_status(rapport_sync_state state, const char* message, void* context) {
  probe_log* log = (probe_log*)context;
  pthread_mutex_lock(&log->mu);
  if (message != NULL) log->statuses++;
  if (state == RAPPORT_SYNC_LIVE) log->lives++;
  pthread_cond_broadcast(&log->changed);
  pthread_mutex_unlock(&log->mu);
}

static void on_progress(const rapport_sync_progress* progress, void* context) {
  probe_log* log = (probe_log*)context;
  pthread_mutex_lock(&log->mu);
  if (progress != NULL) log->progress_reports++;
  pthread_mutex_unlock(&log->mu);
}

/* Waits up to 10 s for the first "live"; 1 if it came. */
static int wait_for_live(probe_log* log) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  pthread_mutex_lock(&log->mu);
  int timed_out = 0;
  while (log->lives == 0 && !timed_out) {
    timed_out = pthread_cond_timedwait(&log->changed, &log->mu, &deadline) != 0;
  }
  const int live = log->lives > 0;
  pthread_mutex_unlock(&log->mu);
  return live;
}

static int statuses(probe_log* log) {
  pthread_mutex_lock(&log->mu);
  const int n = log->statuses;
  pthread_mutex_unlock(&log->mu);
  return n;
}

int rapport_probe_continuous_sync_from_c(rapport_replica* replica, const char* address) {
  int failures = 0;
  probe_log log = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
  rapport_continuous_sync_config config;
  memset(&config, 0, sizeof config);
  config.on_status = on_status;
  config.on_progress = on_progress;
  config.context = &log;

  rapport_continuous_sync* sync = NULL;
  PROBE_CHECK(rapport_continuous_sync_start(replica, address, &config, &sync) == RAPPORT_OK);
  if (sync == NULL) return failures + 1;
  PROBE_CHECK(wait_for_live(&log));
  rapport_sync_state state = RAPPORT_SYNC_ERROR;
  char* error = NULL;
  PROBE_CHECK(rapport_continuous_sync_state(sync, &state, &error) == RAPPORT_OK);
  PROBE_CHECK(state == RAPPORT_SYNC_LIVE);
  PROBE_CHECK(error != NULL && strcmp(error, "") == 0);
  rapport_free(error);

  PROBE_CHECK(rapport_continuous_sync_stop(sync) == RAPPORT_OK);
  const int statuses_at_stop = statuses(&log);
  PROBE_CHECK(rapport_continuous_sync_stop(sync) == RAPPORT_OK);
  PROBE_CHECK(rapport_continuous_sync_state(sync, &state, NULL) == RAPPORT_OK);
  PROBE_CHECK(state == RAPPORT_SYNC_IDLE);
  PROBE_CHECK(strcmp(rapport_sync_state_name(state), "idle") == 0);
  rapport_continuous_sync_free(sync);
  PROBE_CHECK(statuses(&log) == statuses_at_stop);

  PROBE_CHECK(rapport_continuous_sync_start(NULL, address, &config, &sync) ==
              RAPPORT_INVALID_ARGUMENT);
  PROBE_CHECK(sync == NULL);
  pthread_cond_destroy(&log.changed);
  pthread_mutex_destroy(&log.mu);
  return failures;
}
