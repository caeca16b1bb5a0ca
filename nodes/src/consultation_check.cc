// The node's check of the broker's consultation log.
#include "consultation_check.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "lintas/audit/access_proof.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/frame.h"

namespace lintas::node {
namespace {

std::string Seqs(const flatbuffers::Vector<uint64_t>& seqs) {
  std::string out;
  for (size_t i = 0; i < seqs.size() && i < 8; ++i) out += (i ? ", " : "") + std::to_string(seqs[i]);
  if (seqs.size() > 8) out += fmt::format(" (and {} more)", seqs.size() - 8);
  return out;
}

}  // namespace

uint64_t ConsultationCheck::Checked() {
  auto v = store_->Get("audit/access_checked");
  if (!v.ok() || !v->has_value()) return 0;
  try {
    return std::stoull(**v);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string ConsultationCheck::Query(uint64_t after) {
  proto::ControlT control;
  proto::AuditQueryT q;
  in_flight_ = kQueryBit | (next_id_++ & (kQueryBit - 1));
  q.query_id = in_flight_;
  q.kind = proto::AuditQueryKind::AccessCheck;
  q.after = after;
  q.tree_size = asked_->access_size;
  control.command.Set(std::move(q));
  return wire::EncodeControl(control);
}

std::optional<std::string> ConsultationCheck::Next(const audit::Checkpoint& kept) {
  // A query still in flight is superseded (its reply, if any, is ignored).
  uint64_t checked = Checked();
  if (kept.access_size == 0) return std::nullopt;
  // Behind the checked mark (a rolled-back log) is the checkpoint check's
  // alarm; the damage the broker knows of is asked for anyway.
  asked_ = kept;
  return Query(std::min(checked, kept.access_size - 1));
}

std::optional<std::string> ConsultationCheck::HandleReply(
    const Incoming& m, const std::function<void(const std::string&)>& alarm) {
  const proto::AuditReply& reply = *m.control()->command_as_AuditReply();
  if (reply.query_id() != in_flight_ || !asked_) return std::nullopt;  // stale
  in_flight_ = 0;
  bool bad = false;
  auto problem = [&](const std::string& what) {
    bad = true;
    alarm("consultation log: " + what);
  };
  for (size_t i = 0; i < m.payload_count(); ++i) {
    auto proof = audit::DecodeAccessProof(m.payload(i));
    if (!proof) {
      problem("the broker sent a malformed consultation record proof");
      continue;
    }
    if (std::string what = audit::CheckAccessProof(*proof, *asked_); !what.empty()) {
      problem(what);
      continue;
    }
    const auto* r = fb::GetAccessRecord(proof->record.data());
    if (r->node_id()->string_view() != node_id_) {
      problem(fmt::format("consultation record {} was sent as this node's but names '{}'", proof->seq,
                          r->node_id()->string_view().substr(0, 64)));
    }
  }
  if (reply.access_missing() && reply.access_missing()->size() > 0) {
    problem(fmt::format("the broker's consultation log has lost record(s) {} (deleted)",
                        Seqs(*reply.access_missing())));
  }
  if (reply.access_altered() && reply.access_altered()->size() > 0) {
    problem(fmt::format("consultation record(s) {} no longer match the signed consultation log (altered), "
                        "the broker reports",
                        Seqs(*reply.access_altered())));
  }
  uint64_t last = std::min(reply.last_seq(), asked_->access_size);
  if (!bad && last > Checked()) (void)store_->Put("audit/access_checked", std::to_string(last), false);
  if (reply.more() && reply.last_seq() < asked_->access_size && !bad) return Query(reply.last_seq());
  return std::nullopt;
}

}  // namespace lintas::node
