// Protocol constants and the caps on everything a peer controls. The broker
// may lower the negotiable ones in Ready; it never raises the hard caps.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lintas::wire {

// Protocol version spoken by this build (docs/PROTOCOL.md).
inline constexpr uint16_t kProtocolVersion = 1;
// Event schema version written by this build; a broker accepts 1..this.
inline constexpr uint16_t kSchemaVersion = 3;

// Hard cap on one event buffer. Attachments travel by reference, so an event
// is text and codes: 256 KiB is generous.
inline constexpr size_t kMaxEventBytes = size_t{256} * 1024;
// Hard cap on one stored record (an event plus broker metadata).
inline constexpr size_t kMaxRecordBytes = kMaxEventBytes + 4096;
// Hard cap on a control frame.
inline constexpr size_t kMaxControlBytes = size_t{16} * 1024;
// Hard cap on any single frame (ZMQ_MAXMSGSIZE is set to this).
inline constexpr size_t kMaxFrameBytes = kMaxRecordBytes;
// Hard cap on the sum of a message's frames.
inline constexpr size_t kMaxMessageBytes = size_t{8} * 1024 * 1024;
// Events in one Publish, records in one Deliver.
inline constexpr size_t kMaxBatch = 256;
// Hard cap on a JSON document accepted from a local user.
inline constexpr size_t kMaxJsonBytes = size_t{1024} * 1024;

// FlatBuffers verifier limits. The deepest path the event schema allows is
// Event > body > ReferralCreated > victim > guardian (and vectors count as a
// level), so 16 leaves room for evolution while refusing pathological buffers.
inline constexpr uint32_t kVerifyMaxDepth = 16;
// An event with ~1000 destinations or attachments is not a real event.
inline constexpr uint32_t kVerifyMaxTables = 1024;
inline constexpr uint32_t kControlMaxDepth = 8;
inline constexpr uint32_t kControlMaxTables = 64;

// Default credit a subscriber grants when it says nothing.
inline constexpr uint32_t kDefaultCreditWindow = 1024;
// Default heartbeat interval; a peer silent for 3 intervals is dead.
inline constexpr uint32_t kDefaultHeartbeatMs = 1000;
inline constexpr uint32_t kHeartbeatLiveness = 3;

}  // namespace lintas::wire
