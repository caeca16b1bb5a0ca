// The consultation log as an auditor reads it: every record with its
// inclusion proof in the consultation log's tree, checked here
// (docs/AUDIT.md 3a, 5); AuditClient::Access.
#include <set>

#include <fmt/format.h>

#include "lintas/audit/access_proof.h"
#include "lintas/node/audit_client.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/frame.h"

namespace lintas::node {

Result<AccessListing> AuditClient::Access(const std::string& case_id, const std::string& justification,
                                          const CheckpointReply* against) {
  AccessListing out;
  // Without a checkpoint to prove against, the first reply's is used (the
  // broker signs one that covers the listing's own record).
  bool fresh = against == nullptr;
  if (!fresh) {
    out.checkpoint = *against;
    if (against->parsed.access_size == 0) return out;
  }
  const audit::Checkpoint& tree = out.checkpoint.parsed;
  std::set<uint64_t> missing;
  std::set<uint64_t> altered;
  uint64_t after = 0;
  for (bool first = true; first || after < tree.access_size; first = false) {
    proto::ControlT c;
    proto::AuditQueryT q;
    q.query_id = next_id_++;
    q.kind = proto::AuditQueryKind::Access;
    q.after = after;
    q.case_id = case_id;
    q.justification = justification;
    q.with_proofs = true;
    q.tree_size = first && fresh ? 0 : tree.access_size;
    uint64_t id = q.query_id;
    c.command.Set(std::move(q));
    auto reply = Ask(wire::EncodeControl(c), id);
    if (!reply.ok()) return reply.error();
    const auto* r = reply->control()->command_as_AuditReply();
    if (first && fresh) {
      auto cp = DecodeCheckpointReply(*r);
      if (!cp.ok()) return cp.error();
      out.checkpoint = std::move(*cp);
    }
    for (size_t i = 0; i < reply->payload_count(); ++i) {
      auto proof = audit::DecodeAccessProof(reply->payload(i));
      if (!proof) return Error{wire::errc::malformed_message, "a consultation record's proof from the broker is malformed"};
      std::string problem = audit::CheckAccessProof(*proof, tree);
      if (!problem.empty()) {
        out.problems.push_back(std::move(problem));
        altered.insert(proof->seq);
        out.failed.push_back(std::move(*proof));
        continue;
      }
      out.records.push_back(std::move(*proof));
    }
    if (r->access_missing()) missing.insert(r->access_missing()->begin(), r->access_missing()->end());
    if (r->access_altered()) {
      for (uint64_t seq : *r->access_altered()) {
        if (seq <= tree.access_size && !altered.count(seq)) {
          altered.insert(seq);
          out.problems.push_back(fmt::format(
              "consultation record {}: the broker reports it no longer matches its signed leaf (altered)", seq));
        }
      }
    }
    if (!r->more() || r->last_seq() <= after) break;
    after = r->last_seq();
  }
  out.missing.assign(missing.begin(), missing.end());
  for (uint64_t seq : missing) {
    out.problems.push_back(fmt::format(
        "consultation record {} is missing: the broker's consultation log no longer holds it (deleted)", seq));
  }
  return out;
}

}  // namespace lintas::node
