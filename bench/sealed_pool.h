// Sealed events for one publisher of the load generator, sealed before the
// clock starts. Sealing costs the sending node ~65 µs per recipient (one
// crypto_box_seal each; docs/PERFORMANCE.md), more than the broker spends on
// an event, so sealing while sending would measure the generator. Each event
// needs its own id, and the id is the AEAD's associated data, so an envelope
// cannot be reused with a new id: the pool holds one sealed event per event
// the run will publish.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/seal/seal_key.h"

namespace lintas::bench {

// An addressee of the publisher: the agency a referral names and the node
// that serves it, with that node's current seal key.
struct SealTarget {
  std::string country;
  std::string agency;
  std::string node;
  seal::PublicKey key{};
};

// Per destination (the publisher's destination index), the events to send
// to it, in sending order. A plain value: built on one thread, then only
// read by its publisher's thread.
struct SealedPool {
  std::vector<std::vector<std::string>> per_destination;

  size_t size() const;
  double AverageBytes() const;
};

// `events` MinimalReferrals of about `event_bytes` from `origin_agency`
// (served by `own_node`, whose seal key is `own_key`), spread evenly over
// `destinations`, each sealed as a node seals it: to the addressee's node
// and to the sender's own node (2 recipients). Errors: those of
// lintas::seal::SealEvent and of verification. Thread-safe (no shared state).
[[nodiscard]] Result<SealedPool> BuildSealedPool(const std::string& origin_country,
                                                 const std::string& origin_agency,
                                                 const std::string& own_node,
                                                 const seal::PublicKey& own_key,
                                                 const std::vector<SealTarget>& destinations,
                                                 size_t events, size_t event_bytes);

}  // namespace lintas::bench
