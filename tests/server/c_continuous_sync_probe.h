/* A continuous sync driven from code compiled as C (c_continuous_sync_probe.c), so the test
 * proves rapport/rapport_sync.h is C and usable from C, callbacks included. */
#ifndef RAPPORT_TESTS_SERVER_C_CONTINUOUS_SYNC_PROBE_H_
#define RAPPORT_TESTS_SERVER_C_CONTINUOUS_SYNC_PROBE_H_

#include "rapport/rapport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts a continuous sync of `replica` with `address`, reads its state, stops it twice and frees
 * it; writes what failed to stderr and returns the number of failed checks. */
int rapport_probe_continuous_sync_from_c(rapport_replica* replica, const char* address);

#ifdef __cplusplus
}
#endif

#endif /* RAPPORT_TESTS_SERVER_C_CONTINUOUS_SYNC_PROBE_H_ */
