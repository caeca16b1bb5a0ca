// The smallest durable broker, as a raw limit: what any broker that syncs
// before it acknowledges must do at the least, with nothing of Lintas in it.
#pragma once

#include <cstddef>
#include <string>

namespace lintas::bench {

// Messages per second through a durable relay measured at its sink: one
// DEALER sends `message_bytes` messages (at most `window` unacknowledged) to
// a ROUTER; the relay's thread gathers what arrived while the previous write
// was syncing, a commit thread writes it as one synced RocksDB WriteBatch
// (one key per message) into a fresh database in `dir`, and then the relay
// acknowledges the batch to the sender (one message) and sends every body
// on through a DEALER to a receiving ROUTER. Three ZeroMQ contexts, as three
// processes would have; TCP on 127.0.0.1, plaintext. No verification, no
// index, no hash, no consultation record: the ceiling of the design
// "receive, group commit, ack, deliver" on this machine, with its own cheap
// load generator on the same cores.
double DurableRelayRate(const std::string& dir, size_t message_bytes, size_t window, double seconds);

}  // namespace lintas::bench
