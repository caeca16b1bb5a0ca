// Sealing and opening an event's content (docs/SECURITY.md).
//
// Sealing takes the complete event a node built and returns its envelope: the
// same routing fields in clear (id, times, origin, destinations,
// distribution, priority, deadline, handling code and conditions, grading,
// case id, parent, language), a body of the same type with every field
// emptied (an alert keeps its category), no attachments, national references
// or officer, and `sealed`: the whole event encrypted with a fresh content key
// (XChaCha20-Poly1305-IETF, the event id as associated data), that key
// wrapped with crypto_box_seal for each recipient node's X25519 key.
//
// Opening finds this node's copy of the key, decrypts, verifies and
// validates the inner event and checks that its routing fields are the
// envelope's: a broker (or anyone) that alters the clear envelope cannot make
// a node read it differently.
//
// Thread safety: free functions, thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/seal/seal_key.h"
#include "lintas/seal/symmetric_key.h"

namespace lintas::seal {

// The schema version of a sealed envelope (Event.sealed was added in 2).
inline constexpr uint16_t kSealedSchemaVersion = 2;
// At most this many recipient nodes per event.
inline constexpr size_t kMaxRecipients = 64;

struct Recipient {
  std::string node;  // node id
  PublicKey key{};
};

// Whether a node seals this event: addressed (not distributed) events other
// than delivery and read receipts, which carry no content.
bool ShouldSeal(const fb::Event& event);

// The envelope of `event` (verified and validated; `bytes` are its buffer)
// sealed to `recipients` (1..kMaxRecipients, distinct nodes). Errors:
// key_unusable (no recipient), inconsistent (too large once sealed, naming
// the field).
[[nodiscard]] Result<std::string> SealEvent(const fb::Event& event, std::span<const uint8_t> bytes,
                                            const std::vector<Recipient>& recipients);

// The inner event's bytes ("LNTE", verified, validated, consistent with
// `envelope`). Errors: not_a_recipient, tampered, inconsistent (naming the
// field).
[[nodiscard]] Result<std::string> OpenEvent(const fb::Event& envelope, std::string_view node_id,
                                            const SealKeyring& keys);

// OpenEvent in two steps, so that a node can keep an event's content key
// under a key of its own (its per-case key) and forget its copy in the
// envelope. UnwrapContentKey: this node's copy of the content key (errors as
// OpenEvent's). OpenWithContentKey: the inner event, checked as OpenEvent
// does (tampered, inconsistent).
[[nodiscard]] Result<SymmetricKey> UnwrapContentKey(const fb::Event& envelope, std::string_view node_id,
                                                 const SealKeyring& keys);
[[nodiscard]] Result<std::string> OpenWithContentKey(const fb::Event& envelope, const SymmetricKey& key);

// Zeroes every copy of the content key wrapped for `node_id` in `buffer`, the
// bytes that hold `envelope` (a record or event buffer): afterwards no seal
// key of that node opens this copy, only a content key kept elsewhere.
// Returns how many copies were zeroed.
size_t ForgetKeyCopies(std::span<uint8_t> buffer, const fb::Event& envelope, std::string_view node_id);

// The nodes holding a copy of the key of a sealed event.
std::vector<std::string_view> SealedNodes(const fb::Event& envelope);

}  // namespace lintas::seal
