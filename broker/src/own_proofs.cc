// Proofs of a node's own events: any node may ask for the inclusion proofs of
// the events it published or that were addressed to it, to check that the
// broker still holds what it acknowledged or delivered (docs/AUDIT.md 2b).
#include "broker_loop.h"
#include "lintas/broker/logger.h"
#include "lintas/wire/limits.h"

namespace lintas::broker {

bool BrokerLoop::OnlyOwnEvents(const Session& session, const proto::AuditQuery& query) {
  if (query.kind() != proto::AuditQueryKind::Proofs) return false;
  std::vector<uint64_t> offsets;
  if (query.offsets()) offsets.assign(query.offsets()->begin(), query.offsets()->end());
  if (offsets.empty() && query.event_id() != nullptr) {
    auto id = wire::EventId::Parse(query.event_id()->string_view());
    if (!id.ok()) return false;
    auto found = store_->FindEvent(*id);
    if (!found.ok() || !found->has_value()) return false;
    offsets.push_back(**found);
  }
  if (offsets.empty() || offsets.size() > wire::kMaxBatch) return false;
  const std::string& node = session.node->id;
  for (uint64_t offset : offsets) {
    // Beyond the log: nothing to disclose; the Proofs handler refuses it
    // (log_damaged when the log was cut short).
    if (offset == 0 || offset >= store_->next_offset()) continue;
    auto stored = ReadStoredFacts(*store_, directory_, offset, ReadMode::kBlocking);
    if (!stored.ok()) return false;
    const ParentFacts& f = stored->facts;
    if (f.originator != node && !f.parties.contains(node)) {
      return false;
    }
  }
  return true;
}

}  // namespace lintas::broker
