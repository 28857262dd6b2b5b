// What the C sync API's translation units share (not part of the public API).
#pragma once

#include "rapport/rapport_sync.h"
#include "rapport/sync.h"

namespace rapport::c_api {

inline rapport_sync_progress ToC(const SyncProgress& p) {
  return rapport_sync_progress{p.pushed, p.acknowledged, p.pulled, p.bytes, p.estimated_total};
}

}  // namespace rapport::c_api
