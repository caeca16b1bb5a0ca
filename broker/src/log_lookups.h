// The store lookups the publish path needs before ingest decides: where an
// event id is stored (dedup) and the facts of a stored parent (walking up its
// thread for the H2 events above it). Each can be made from memory only, on
// the loop thread (errc::would_block of lintas::store when an answer needs
// the disk), or blocking, on the LogReader thread or at start-up.
// Internal to lintas::broker.
#pragma once

#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "lintas/broker/directory.h"
#include "lintas/common/result.h"
#include "lintas/store/store.h"
#include "lintas/wire/event_id.h"
#include "thread_rules.h"

namespace lintas::broker {

// The id's last 8 bytes (random in a UUIDv7), loaded at once: the maps of
// events in flight are looked up several times per published event.
struct EventIdHash {
  size_t operator()(const wire::EventId& id) const noexcept {
    uint64_t h = 0;
    std::memcpy(&h, id.bytes().data() + 8, sizeof(h));
    return static_cast<size_t>(h);
  }
};

enum class ReadMode { kBlocking, kMemoryOnly };

// Records the caller holds in memory (the loop's recent records), asked
// before the store: the record at an offset, or nullptr. Called on the
// calling thread only.
using RecentSource = std::function<const std::string*(uint64_t offset)>;

// True for the error of a memory-only read that needs the disk.
bool IsWouldBlock(const Error& error);

// The facts of the stored event at `offset` as a parent (without the H2
// events above it), and its own parent's id. Errors as ParentFromLog's.
struct StoredFacts {
  ParentFacts facts;
  std::optional<wire::EventId> parent;
};
[[nodiscard]] Result<StoredFacts> ReadStoredFacts(store::Store& store, const Directory& directory,
                                                  uint64_t offset, ReadMode mode,
                                                  const RecentSource& recent = {});

// The facts of the stored event `parent_id` as a parent, with the H2 events
// above it; empty if the log holds no such event. A storage failure is a
// wire storage_error naming parent_id; a thread deeper than kMaxThreadDepth
// is policy_denied. Thread-safe as the store's reads are.
[[nodiscard]] Result<std::optional<ParentFacts>> ParentFromLog(store::Store& store,
                                                               const Directory& directory,
                                                               const wire::EventId& parent_id,
                                                               ReadMode mode,
                                                               const RecentSource& recent = {});

// The answers of one Publish's lookups.
struct LogAnswers {
  // Where each looked-up id is stored (nullopt: nowhere). Not ok: the dedup
  // lookup failed, and every event not in flight is refused (storage_error).
  Status dedup;
  std::unordered_map<wire::EventId, std::optional<uint64_t>, EventIdHash> stored;
  std::unordered_map<wire::EventId, Result<std::optional<ParentFacts>>, EventIdHash> parents;
};

// Looks up `ids` (dedup) and `parent_ids` in the log, parents' records in
// `recent` first. kMemoryOnly: false, with `out` incomplete, when an answer
// needs the disk; kBlocking: always true.
[[nodiscard]] bool LookUp(store::Store& store, const Directory& directory,
                          const std::vector<wire::EventId>& ids,
                          const std::vector<wire::EventId>& parent_ids, ReadMode mode,
                          LogAnswers* out, const RecentSource& recent = {});

}  // namespace lintas::broker
