// Dedup and parent lookups in the log, from memory or blocking.
#include "log_lookups.h"

#include <fmt/format.h>

#include "lintas/broker/logger.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/record.h"
#include "lintas/wire/verify.h"

namespace lintas::broker {
namespace {

// How far up a thread the publish path looks for H2 events. Answers are
// addressed to an item's first event, so real threads are a few events
// deep; past this an answer is refused rather than judged on part of its
// thread.
constexpr size_t kMaxThreadDepth = 128;

Error LookupFailed(const Error& cause) {
  if (IsWouldBlock(cause)) return cause;
  return Error{wire::errc::storage_error, "parent lookup failed; resend later", "parent_id"};
}

Result<std::optional<uint64_t>> Find(store::Store& store, const wire::EventId& id, ReadMode mode) {
  return mode == ReadMode::kMemoryOnly ? store.TryFindEvent(id) : store.FindEvent(id);
}

}  // namespace

bool IsWouldBlock(const Error& error) { return error.code == store::errc::would_block; }

Result<StoredFacts> ReadStoredFacts(store::Store& store, const Directory& directory, uint64_t offset,
                                    ReadMode mode, const RecentSource& recent) {
  const std::string* bytes = recent ? recent(offset) : nullptr;
  std::string read;
  if (bytes == nullptr) {
    auto record = mode == ReadMode::kMemoryOnly ? store.TryReadRecord(offset) : store.ReadRecord(offset);
    if (!record.ok()) return LookupFailed(record.error());
    if (!record->has_value()) {
      return Error{wire::errc::storage_error, "parent read failed; resend later", "parent_id"};
    }
    read = std::move(**record);
    bytes = &read;
  }
  auto verified = wire::VerifyRecord(wire::AsBytes(*bytes));
  if (!verified.ok()) {
    Log()->error("stored record unverifiable offset={}: {}", offset, verified.error().message);
    return Error{wire::errc::internal, "the parent's stored record is unverifiable", "parent_id"};
  }
  const fb::Event* event = fb::GetEvent(wire::RecordEventBytes(**verified).data());
  store::NodeList parties;
  if (event->destinations() != nullptr) (void)directory.ResolveInbox(*event->destinations(), &parties);
  StoredFacts out;
  out.facts = FactsAsParent(*event, (*verified)->publisher()->node_id()->str(), std::move(parties),
                            std::nullopt);
  if (event->parent_id() != nullptr) out.parent = wire::EventId::FromFb(*event->parent_id());
  return out;
}

Result<std::optional<ParentFacts>> ParentFromLog(store::Store& store, const Directory& directory,
                                                 const wire::EventId& parent_id, ReadMode mode,
                                                 const RecentSource& recent) {
  auto offset = Find(store, parent_id, mode);
  if (!offset.ok()) return LookupFailed(offset.error());
  if (!offset->has_value()) return std::optional<ParentFacts>();  // nothing stored to protect
  auto stored = ReadStoredFacts(store, directory, **offset, mode, recent);
  if (!stored.ok()) return std::move(stored).error();
  ParentFacts facts = std::move(stored->facts);
  // Up the thread for the H2 events above the parent. Only ancestors stored
  // before their child count: offsets fall at every step, so a cycle of
  // parent ids (each naming a later event) cannot loop.
  uint64_t below = **offset;
  std::optional<wire::EventId> next = stored->parent;
  for (size_t depth = 0; next; ++depth) {
    if (depth == kMaxThreadDepth) {
      return Error{wire::errc::policy_denied,
                   fmt::format("parent_id: the thread above this answer is deeper than {} events; its "
                               "handling codes cannot be judged",
                               kMaxThreadDepth),
                   "parent_id"};
    }
    auto up = Find(store, *next, mode);
    if (!up.ok()) return LookupFailed(up.error());
    if (!up->has_value() || **up >= below) break;
    auto ancestor = ReadStoredFacts(store, directory, **up, mode, recent);
    if (!ancestor.ok()) return std::move(ancestor).error();
    if (ancestor->facts.handling == fb::HandlingCode::H2) {
      facts.h2_threads.push_back({ancestor->facts.originator, ancestor->facts.parties});
    }
    below = **up;
    next = ancestor->parent;
  }
  return std::optional<ParentFacts>(std::move(facts));
}

bool LookUp(store::Store& store, const Directory& directory, const std::vector<wire::EventId>& ids,
            const std::vector<wire::EventId>& parent_ids, ReadMode mode, LogAnswers* out,
            const RecentSource& recent) {
  std::vector<std::optional<uint64_t>> found;
  Status dedup = mode == ReadMode::kMemoryOnly ? store.TryFindEvents(ids, &found)
                                               : store.FindEvents(ids, &found);
  if (!dedup.ok() && IsWouldBlock(dedup.error())) return false;
  if (dedup.ok()) {
    for (size_t i = 0; i < ids.size(); ++i) out->stored.insert_or_assign(ids[i], found[i]);
  } else {
    Log()->error("dedup lookup failed: {}", dedup.error().message);
  }
  out->dedup = std::move(dedup);
  for (const auto& id : parent_ids) {
    if (out->parents.count(id)) continue;
    auto facts = ParentFromLog(store, directory, id, mode, recent);
    if (!facts.ok() && IsWouldBlock(facts.error())) return false;
    out->parents.insert_or_assign(id, std::move(facts));
  }
  return true;
}

}  // namespace lintas::broker
