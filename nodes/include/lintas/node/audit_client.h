// The auditor's side of the audit trail (docs/AUDIT.md): fetch and check
// checkpoints, export events with their inclusion proofs, prove one event,
// list who consulted what. Speaks the broker protocol directly with a node's
// identity (a node with the audit permission, except for checkpoints).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/audit/access_proof.h"
#include "lintas/audit/checkpoint.h"
#include "lintas/audit/export_format.h"
#include "lintas/common/result.h"
#include "lintas/node/broker_client.h"

namespace lintas::node {

struct CheckpointReply {
  audit::SignedCheckpoint checkpoint;
  audit::Checkpoint parsed;
  audit::PublicKey public_key{};
  std::vector<audit::Hash> consistency;  // from the known size asked for
  // The consultation log's tree: the proof from access_known_size (the
  // known_access_size asked for) to the checkpoint's access_size.
  std::vector<audit::Hash> access_consistency;
  uint64_t access_known_size = 0;
};

// Consultation records as the broker listed them, each checked against a
// checkpoint's consultation-log root (docs/AUDIT.md 3a).
struct AccessListing {
  CheckpointReply checkpoint;               // the tree the records are proved in
  std::vector<audit::AccessProof> records;  // verified, in seq order
  std::vector<audit::AccessProof> failed;   // as sent, whose check failed
  std::vector<uint64_t> missing;            // seqs the broker no longer has
  // What did not verify, one line per record, naming it: altered (its proof
  // fails, or the broker reports it), missing, or malformed.
  std::vector<std::string> problems;
};

struct ExportFilter {
  int64_t from_time_us = 0;
  int64_t to_time_us = INT64_MAX;
  std::string country;  // origin or addressee country
  std::string agency;   // origin or addressee agency
  std::string case_id;
  bool any() const {
    return from_time_us != 0 || to_time_us != INT64_MAX || !country.empty() || !agency.empty() ||
           !case_id.empty();
  }
  std::string ToJson() const;
};

struct ProvedEvent {
  uint64_t offset = 0;
  std::string record;  // StoredRecord bytes
  std::vector<audit::Hash> path;
  CheckpointReply checkpoint;
  bool verified = false;  // the path leads from the record to the signed root
};

// Ownership: borrows the connected client. Not thread-safe.
class AuditClient {
 public:
  explicit AuditClient(BrokerClient* client) : client_(client) {}

  // The latest checkpoint (the broker signs one if its logs grew) and, if
  // known_size > 0, the consistency proof from that size (and from
  // known_access_size for the consultation log).
  [[nodiscard]] Result<CheckpointReply> Checkpoint(uint64_t known_size = 0, uint64_t known_access_size = 0);

  // Writes an export of the events matching `filter` (every event if none),
  // each with its inclusion proof in the tree of a fresh checkpoint; with
  // no filter or a case, first the consultation records that disclosed
  // them (all, with no filter), each with its proof in the consultation
  // log's tree (version 2). Returns the number of event records written.
  // A consultation record that does not verify is written as it is (the
  // export then fails verification naming it) and named in `problems`.
  [[nodiscard]] Result<uint64_t> Export(const ExportFilter& filter, const std::string& justification,
                                        std::ostream& out, audit::ExportFormat format,
                                        std::vector<std::string>* problems = nullptr);

  // One event's inclusion in the latest checkpoint, checked here.
  [[nodiscard]] Result<ProvedEvent> Prove(const std::string& event_id,
                                          const std::string& justification);

  // The inclusion proof of the record at `offset` in a fresh checkpoint's
  // tree (no path when the log is shorter than `offset`). A node may ask
  // this of its own events without the audit permission.
  struct OffsetProof {
    CheckpointReply checkpoint;
    std::vector<audit::Hash> path;
    bool beyond = false;  // the checkpoint's log is shorter than the offset
  };
  [[nodiscard]] Result<OffsetProof> ProveOffset(uint64_t offset, const std::string& justification);

  // Regional statistics computed by the broker from routing metadata, small
  // counts suppressed there (docs/STATISTICS.md), as JSON (StatsTableJson).
  // `by`: comma-separated origin, destination, type, priority, month; months
  // YYYYMM, inclusive. The error names the field.
  [[nodiscard]] Result<nlohmann::json> Stats(const std::string& by, uint32_t from_month, uint32_t to_month,
                                             const std::string& justification);

  // Consultation records, all or those that disclosed an event of one case,
  // each with its inclusion proof in the consultation log of `against` (a
  // fresh checkpoint if null) and checked against it here. The checkpoint's
  // signature is the caller's to check.
  [[nodiscard]] Result<AccessListing> Access(const std::string& case_id, const std::string& justification,
                                             const CheckpointReply* against = nullptr);

 private:
  // Sends `control` and waits for the AuditReply to it (or an Error).
  Result<Incoming> Ask(const std::string& control, uint64_t query_id,
                       std::chrono::seconds timeout = std::chrono::seconds(30));
  // Streams a replay into `on_record(offset, bytes)`.
  Status Replay(const proto::ReplayT& replay, const std::function<void(uint64_t, std::string)>& on_record);
  Result<std::vector<std::vector<audit::Hash>>> Proofs(uint64_t tree_size,
                                                       const std::vector<uint64_t>& offsets,
                                                       const std::string& justification,
                                                       const std::string& purpose);

  BrokerClient* client_;
  uint64_t next_id_ = 1;
};

// A StatsTable payload ("LNTS") as JSON: {by, from_month, to_month,
// threshold, cells: [{origin, destination, type, priority, month, count,
// suppressed, total}]}, "all" dimensions as null, a suppressed count as
// null; null if the bytes do not verify.
nlohmann::json StatsTableJson(std::span<const uint8_t> bytes);

// The checkpoint in an AuditReply (its signature not checked yet).
[[nodiscard]] Result<CheckpointReply> DecodeCheckpointReply(const proto::AuditReply& reply);

// Whether `newer` extends `older` (same log; the consistency proofs of both
// trees valid: `newer` must have been asked for from older's size and
// access_size), with an explanation when it does not. Both signatures must
// already be checked.
[[nodiscard]] Status CheckExtends(const audit::Checkpoint& older, const CheckpointReply& newer);

}  // namespace lintas::node
