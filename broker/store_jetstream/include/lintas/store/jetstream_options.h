// Options of the JetStream store (broker TOML [store.jetstream]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lintas::store {

struct JetStreamOptions {
  // NATS URLs of the cluster's servers ("nats://10.0.0.1:4222"); the client
  // connects to one and fails over to the others.
  // Default: [] (required)
  std::vector<std::string> servers;
  // The log's stream: one message per stored record, subject "<stream>.rec",
  // the broker's offset is the stream sequence.
  // Default: "LINTAS_LOG"
  std::string stream = "LINTAS_LOG";
  // The consultation log's stream (subject "<access_stream>.rec"), as
  // durable as the log.
  // Default: "LINTAS_ACCESS"
  std::string access_stream = "LINTAS_ACCESS";
  // Key-value bucket of cursors, broker metadata and the latest checkpoint.
  // Default: "LINTAS_STATE"
  std::string bucket = "LINTAS_STATE";
  // Key-value bucket of the active broker's lease (its keys expire after
  // lease_ttl_ms, so it cannot share the state bucket).
  // Default: "LINTAS_LEASE"
  std::string lease_bucket = "LINTAS_LEASE";
  // Replicas of the streams and buckets (1, 3 or 5; 3 survives one lost
  // server). Checked against existing streams at start-up.
  // Default: 3
  int replicas = 3;
  // The stream's duplicate window (Nats-Msg-Id = event id): a resend inside
  // it is refused by the stream itself; past it the broker's own dedup index
  // (rebuilt from the stream) decides. The servers keep every id of the
  // window in memory.
  // Default: 2 hours
  int64_t duplicate_window_ms = 2 * 3600 * 1000;
  // Connecting at start-up (each server tried in turn).
  // Default: 5000 ms
  int64_t connect_timeout_ms = 5000;
  // How long an Append waits for the acks of its records, and any other
  // request for its answer.
  // Default: 5000 ms
  int64_t request_timeout_ms = 5000;
  // How long an Append keeps publishing the records not yet acknowledged
  // (same ids, same expected sequences: nothing is stored twice) through a
  // leader election or a server's loss before it fails the batch (whose
  // publishers then get storage_error and resend).
  // Default: 30000 ms
  int64_t append_retry_ms = 30000;
  // Records published and not yet acknowledged, at most (pipelining).
  // Default: 4096
  int64_t max_pending = 4096;
  // Directory of the local RocksDB cache of derived state (indexes, dedup,
  // leaf blocks; the records too, for reads), rebuilt from the streams.
  // Default: "" (<broker.data_dir>/jetstream-cache)
  std::string cache_dir;
  // The lease: the active broker holds key "active" of lease_bucket, renews
  // it every lease_ttl_ms / 3 and stops (exits) when it cannot; a standby
  // takes it once it lapses.
  // Default: 10000 ms
  int64_t lease_ttl_ms = 10000;
};

}  // namespace lintas::store
