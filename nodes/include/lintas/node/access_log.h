// The node's consultation log (Art. 25 of the law-enforcement directive, at
// the level of the person): who viewed or exported which event or case, when,
// from where, and with what justification. Append-only, in its own column
// family, each entry bound into a SHA-256 hash chain (entry.hash =
// SHA-256(prev_hash "\n" canonical entry)) whose head is kept beside it, so an
// edited, removed or reordered entry shows on verification.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

struct AccessEntry {
  uint64_t seq = 0;      // 1, 2, ... assigned by Append
  int64_t at_us = 0;     // assigned by Append
  std::string user;      // the account that read
  std::string agency;    // its agency
  std::string roles;     // its roles, comma-separated, at the time
  std::string action;    // view_case, view_event, view_inbox, list_cases, export_access, ...
  std::string case_id;   // when a case was read
  std::vector<std::string> event_ids;  // the events shown (ids), at most kMaxEventIds
  std::string justification;
  std::string address;   // the client's address
  std::string prev_hash;  // hex; empty for the first
  std::string hash;       // hex

  nlohmann::json ToJson() const;
  static std::optional<AccessEntry> FromJson(const nlohmann::json& j);
  // The bytes the hash covers (every field but `hash`, in a fixed order).
  std::string Canonical() const;
};

struct AccessFilter {
  std::string case_id;
  std::string user;
  int64_t from_us = 0;
  int64_t to_us = INT64_MAX;
  uint64_t after_seq = 0;
  size_t limit = 1000;
};

struct ChainCheck {
  bool ok = true;
  uint64_t entries = 0;
  uint64_t first_bad_seq = 0;  // when !ok
  std::string problem;         // what is wrong there
  std::string head_hash;
};

// Ownership: borrows the store. Thread safety: all methods from any thread;
// Append is serialised by mu_ (the chain has one head).
class AccessLog {
 public:
  static constexpr size_t kMaxEventIds = 1000;
  explicit AccessLog(NodeStore* store) : store_(store) {}

  // Assigns seq, time and hashes and writes the entry and the new head in one
  // synced write: the read it records is answered only after this returns.
  [[nodiscard]] Result<AccessEntry> Append(AccessEntry entry);
  [[nodiscard]] Result<std::vector<AccessEntry>> List(const AccessFilter& filter);
  // Recomputes the whole chain and compares it with the kept head.
  [[nodiscard]] Result<ChainCheck> Verify();

 private:
  NodeStore* store_;
  std::mutex mu_;
};

}  // namespace lintas::node
