// The adapter's client of the node's HTTP API (docs/API.md): the inbox with
// the adapter's own reader cursor, the cursor's acknowledgement, an event's
// item and case, the node's named subscriptions, and who a token belongs to.
//
// Thread safety: immutable after construction; every call opens its own
// connection, so calls may run from any thread at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"

namespace lintas::webhook {

struct InboxPage {
  std::vector<nlohmann::json> events;  // {offset, received_at_us, publisher, event}
  uint64_t next_after = 0;              // the cursor to acknowledge once all are handled
};

class NodeApi {
 public:
  // `url`: http(s)://host:port of the node; `token`: the agency system's
  // API token; `ca_file`: extra CAs for an https node (empty: system store).
  NodeApi(std::string url, std::string token, std::string ca_file);

  // The next page after the reader's cursor (GET /v1/inbox?reader=R).
  [[nodiscard]] Result<InboxPage> ReadInbox(const std::string& reader, uint32_t limit) const;
  // Moves the reader's cursor (POST /v1/readers/R/ack), durably at the node.
  [[nodiscard]] Result<void> AckReader(const std::string& reader, uint64_t offset) const;
  // The item and case of an event: {case_id, item_id, item} (item may be null).
  [[nodiscard]] Result<nlohmann::json> CaseContext(const std::string& event_id) const;
  // The whole event as the inbox shows it (GET /v1/events/ID?full).
  [[nodiscard]] Result<nlohmann::json> Event(const std::string& event_id) const;
  // The node's named subscriptions (GET /v1/subscriptions).
  [[nodiscard]] Result<nlohmann::json> Subscriptions() const;
  // Who `token` belongs to (GET /v1/me with that token instead of ours).
  [[nodiscard]] Result<nlohmann::json> Me(const std::string& token) const;

 private:
  [[nodiscard]] Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                                            const nlohmann::json* body, const std::string& token) const;
  std::string url_;
  std::string token_;
  std::string ca_file_;
};

}  // namespace lintas::webhook
