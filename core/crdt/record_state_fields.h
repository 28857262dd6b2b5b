// Field numbers of the rapport.v1 record messages (proto/rapport/v1/crdt.proto), shared by the
// record encoder and decoder, which write and read those bytes without the generated classes.
// Keep in step with the .proto.
#pragma once

#include <cstdint>

namespace rapport::crdt::fieldnum {

// RecordState
inline constexpr uint32_t kRecordId = 1;
inline constexpr uint32_t kRecordType = 2;
inline constexpr uint32_t kRecordReplicas = 3;
inline constexpr uint32_t kRecordDotReplicas = 4;
inline constexpr uint32_t kRecordFields = 6;
inline constexpr uint32_t kRecordDeleted = 7;
inline constexpr uint32_t kRecordErased = 9;
inline constexpr uint32_t kRecordDotSteps = 11;
inline constexpr uint32_t kRecordDotCounters = 12;
inline constexpr uint32_t kRecordSeq = 13;
inline constexpr uint32_t kRecordDeletedSeqOffset = 14;
inline constexpr uint32_t kRecordErasedSeqOffset = 15;

// FieldsState
inline constexpr uint32_t kFieldsOther = 5;
inline constexpr uint32_t kFieldsPlain = 6;
inline constexpr uint32_t kFieldsPlainSeqOffsets = 7;

// FieldState
inline constexpr uint32_t kFieldId = 1;
inline constexpr uint32_t kFieldValue = 3;
inline constexpr uint32_t kFieldCounter = 4;
inline constexpr uint32_t kFieldSet = 5;
inline constexpr uint32_t kFieldTimeline = 6;
inline constexpr uint32_t kFieldMap = 7;
inline constexpr uint32_t kFieldSeqOffset = 8;

// RegisterState
inline constexpr uint32_t kRegisterDots = 1;
inline constexpr uint32_t kRegisterExtraContext = 3;
inline constexpr uint32_t kRegisterValues = 4;

// CounterState
inline constexpr uint32_t kCounterReplicas = 1;
inline constexpr uint32_t kCounterIncrements = 2;
inline constexpr uint32_t kCounterDecrements = 3;

// SetState
inline constexpr uint32_t kSetElements = 1;
inline constexpr uint32_t kSetDotCounts = 2;
inline constexpr uint32_t kSetDots = 3;
inline constexpr uint32_t kSetExtraContext = 4;

// TimelineState and MapState
inline constexpr uint32_t kEntryKeys = 2;
inline constexpr uint32_t kEntryFields = 3;

// The plain-field header: (id delta) << kPlainIdShift | has_dot | scalar kind.
inline constexpr unsigned kPlainIdShift = 4;
inline constexpr uint64_t kPlainHasDot = 8;
inline constexpr uint64_t kPlainKindMask = 7;

// Dot-table steps: step << kStepShift | how.
inline constexpr unsigned kStepShift = 2;
inline constexpr uint64_t kStepSameMillis = 0;
inline constexpr uint64_t kStepNewMillis = 1;
inline constexpr uint64_t kStepNewMillisWithCounter = 2;

}  // namespace rapport::crdt::fieldnum
