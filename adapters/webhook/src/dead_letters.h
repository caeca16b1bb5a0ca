// The dead-letter queue of one endpoint: events that failed every attempt,
// and the later events of the same case held behind them (so that a case is
// never delivered out of order). Kept on disk, one small JSON file per entry
// (write, fsync, rename, fsync the folder), so an entry survives a crash or
// a power cut. An entry holds only metadata (ids, offset, type, the last
// error): the event itself stays at the node and is read again on a retry,
// so no victim data rests in the adapter's folder.
//
// Thread safety: every method is safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"

namespace lintas::webhook {

struct DeadLetter {
  uint64_t seq = 0;  // order of arrival in the queue (set by Add)
  std::string event_id;
  std::string case_key;  // the case id, or the event id for an event outside any case
  uint64_t offset = 0;   // inbox offset at the node
  int64_t received_at_us = 0;
  std::string publisher;
  std::string body_type;
  uint32_t attempts = 0;
  std::string last_error;   // e.g. "HTTP 500", "timeout"
  std::string held_behind;  // not empty: never tried; waits behind this event of its case
  int64_t dead_at_us = 0;

  nlohmann::json ToJson() const;
  static std::optional<DeadLetter> FromJson(const nlohmann::json& j);
};

class DeadLetters {
 public:
  // Opens (creating) the folder and reads the entries in it.
  [[nodiscard]] static Result<std::unique_ptr<DeadLetters>> Open(const std::string& dir);

  // Adds an entry durably; an event already queued is left as it is.
  [[nodiscard]] Result<void> Add(DeadLetter entry);
  // When the entry's case has an entry queued, adds this one behind it
  // (held_behind set) and returns true; otherwise returns false, and the
  // caller delivers. Atomic with respect to Add and Remove.
  [[nodiscard]] Result<bool> HoldIfBlocked(DeadLetter entry);
  // Removes an entry durably (delivered, or dropped by an operator).
  [[nodiscard]] Result<void> Remove(const std::string& event_id);

  std::vector<DeadLetter> List() const;
  std::optional<DeadLetter> Find(const std::string& event_id) const;
  // The oldest entry of a case.
  std::optional<DeadLetter> HeadOf(const std::string& case_key) const;
  size_t size() const;

 private:
  explicit DeadLetters(std::string dir) : dir_(std::move(dir)) {}
  [[nodiscard]] Result<void> AddLocked(DeadLetter entry);
  std::string PathOf(uint64_t seq) const;

  const std::string dir_;
  mutable std::mutex mu_;
  std::map<uint64_t, DeadLetter> entries_;     // by seq
  std::map<std::string, uint64_t> by_event_;  // event id -> seq
  uint64_t next_seq_ = 1;
};

}  // namespace lintas::webhook
