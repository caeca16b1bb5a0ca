// Building the broker's stored record (record.fbs): the event bytes exactly
// as received, 8-aligned inside the record, plus broker metadata.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lintas::wire {

// The authenticated publisher of an event.
struct PublisherInfo {
  std::string node_id;
  std::string country;
  std::string public_key;  // Z85, empty in plaintext mode
};

// Serialises a StoredRecord ("LNTR"). `chain_hash` may be empty.
// Thread-safe.
std::string EncodeRecord(uint64_t offset, int64_t received_at_us, const PublisherInfo& publisher,
                         std::span<const uint8_t> event, std::span<const uint8_t> chain_hash = {});

}  // namespace lintas::wire
