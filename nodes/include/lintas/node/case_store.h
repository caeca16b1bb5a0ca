// The case model at the node. A case has parties (the originating agency and
// every addressee agency, each with its national reference) and items: each
// referral, information request or alert, with its own state, deadline and
// counterpart. Every event the node sends or receives is applied to the item
// it belongs to (found through its parent_id). Items, case headers, the
// per-case event list and the indexes (deadlines, recently updated, missed
// deadlines) are separate keys, so each event costs O(1) reads and writes
// whatever the size of its case.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/node/account_store.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

enum class Direction { kOutgoing, kIncoming };

struct CaseOptions {
  // This node's country and the agencies it serves (an incoming event
  // addressed by role goes to the local agency with that role, from
  // `local_roles`, else to `default_agency`).
  std::string country;
  std::vector<std::string> agencies;
  std::string default_agency;
  std::map<std::string, std::vector<std::string>> local_roles;  // agency -> directory roles
  std::map<std::string, std::string> local_counterparts;        // role -> designated agency
  // Bounds on what one case, or one partner agency, can make this node
  // store in the case model. Events past them stay in the inbox (nothing
  // acknowledged is lost) but are not added to the case; outgoing ones are
  // refused (limit_exceeded).
  // Default: 256 items, 20000 events, 32 parties per case; 10000 cases
  // opened here by one partner agency
  size_t max_items_per_case = 256;
  size_t max_events_per_case = 20000;
  size_t max_parties_per_case = 32;
  size_t max_cases_per_partner = 10000;
  // Response deadlines when an item names none (EU 2023/977):
  // Default: life-threatening 8 h, urgent 3 days, routine 7 days
  int64_t due_life_threatening_us = 8LL * 3600 * 1000000;
  int64_t due_urgent_us = 3LL * 86400 * 1000000;
  int64_t due_routine_us = 7LL * 86400 * 1000000;
  // Overdue items are escalated to supervisors this long past their deadline.
  // Default: life-threatening 1 h, urgent 12 h, routine 2 days
  int64_t escalate_life_threatening_us = 1LL * 3600 * 1000000;
  int64_t escalate_urgent_us = 12LL * 3600 * 1000000;
  int64_t escalate_routine_us = 2LL * 86400 * 1000000;

  int64_t DefaultDue(fb::Priority p) const;
  int64_t EscalateAfter(fb::Priority p) const;
};

struct StatsQuery;

struct ItemRef {
  std::string case_id;  // empty for alerts
  std::string item_id;  // the event id of the item's first event
};

class CaseStore;

// A group of events applied together and committed in one write (the
// caller's: the outbox or inbox write that stores the events). Holds the
// case store's lock from Begin until destruction, and reads its own writes.
// Ownership: returned by CaseStore::Begin; must not outlive it. One thread.
class CaseTxn {
 public:
  ~CaseTxn();
  // Applies one event. For an outgoing event (`who` set), an error means
  // the step is not allowed (forbidden, conflict, not_found,
  // limit_exceeded, naming the field) and nothing of it is applied. For an
  // incoming one, an error means it was not added to the case model (the
  // caller keeps the event in the inbox and logs why).
  [[nodiscard]] Status Apply(const fb::Event& event, Direction direction, uint64_t offset,
                             const Principal* who, int64_t now_us);
  // Whether an outgoing event stays within the victim's consent as this
  // case records it (consent_scope.h, docs/CONSENT.md): outside_consent
  // naming the field otherwise. Reads this transaction's writes.
  [[nodiscard]] Status CheckConsent(const fb::Event& event);
  // Retention (docs/ERASURE.md): erases `case_id` here without an event,
  // leaving `tombstone` in its header; false if it is unknown or erased
  // already. The caller destroys its keys (CaseVault) in the same write.
  [[nodiscard]] Result<bool> EraseExpired(const std::string& case_id, const nlohmann::json& tombstone,
                                          int64_t now_us);
  // Writes of other families that go into the same write as the case
  // model's (the vault's keys, CaseVault): writes() includes them.
  WriteSet& alongside() { return alongside_; }
  // Every key written, once (its last value), then alongside(), for the
  // caller's write.
  const WriteSet& writes();

 private:
  friend class CaseStore;
  explicit CaseTxn(CaseStore* cases);
  Result<std::optional<nlohmann::json>> Read(const std::string& key);
  void Write(const std::string& key, const nlohmann::json& value);
  void Put(const std::string& key, const std::string& value);
  void Erase(const std::string& key);
  Result<std::optional<std::string>> ReadRaw(const std::string& key);

  Status ApplyOne(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now);
  // One per root body (case_rules.cc).
  Status ApplyRoot(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now);
  Status ApplyAnswer(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now);
  Status ApplyAlert(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now);
  Status AddEvent(nlohmann::json& kase, const nlohmann::json& item, const fb::Event& e, Direction d,
                  uint64_t offset, int64_t now);
  void Reindex(const nlohmann::json& before, const nlohmann::json& after, int64_t now);
  void TouchCase(nlohmann::json& kase, int64_t updated_at);
  void RecordMiss(const nlohmann::json& item, int64_t answered_at_us, int64_t now);
  std::string LocalAgencyFor(const fb::Event& e) const;
  // Consent (case_consent.cc). The case's consent record (null if none).
  Result<nlohmann::json> ConsentRecord(const std::string& case_id);
  // An incoming consent change whose parent this node does not hold: the
  // item of the case that the same agency referred here ({case, item}), so
  // that every holder applies it. nullopt when there is none.
  Result<std::optional<nlohmann::json>> HolderItemFor(const fb::Event& e);
  // The case's record moved by a ConsentChanged, and every other item of the
  // case purged of what it no longer covers (`item` is the caller's, written
  // by it).
  Status ApplyConsentChange(nlohmann::json& kase, nlohmann::json& item, const fb::Event& e);

  // Erasure (case_erasure.cc): a CaseErased sent or received, and the scrub
  // of every item and thread entry of the case it and retention share.
  Status ApplyErasure(const fb::Event& e, Direction d, uint64_t offset, const Principal* who, int64_t now);
  Status Scrub(nlohmann::json& kase, const nlohmann::json& tombstone, int64_t now);
  // erased, when the case header `kase` says it was: nothing is added to it.
  static Status RefuseIfErased(const nlohmann::json& kase);

  CaseStore* cases_;
  std::unique_lock<std::mutex> lock_;
  std::map<std::string, std::optional<std::string>> overlay_;
  // What the event being applied overwrote: key -> its overlay entry before
  // (nullopt: it had none). Undone if the event is refused.
  std::map<std::string, std::optional<std::optional<std::string>>> undo_;
  void Remember(const std::string& key);
  WriteSet writes_;
  WriteSet alongside_;
};

// Ownership: borrows the store. Thread safety: every method from any
// thread; updates go through CaseTxn (one at a time).
class CaseStore {
 public:
  CaseStore(NodeStore* store, CaseOptions options);

  [[nodiscard]] std::unique_ptr<CaseTxn> Begin();

  // The item an event belongs to (the event itself when it opened an item).
  [[nodiscard]] Result<std::optional<ItemRef>> FindItem(const std::string& event_id);
  // The item's JSON, or nullopt.
  [[nodiscard]] Result<std::optional<nlohmann::json>> Item(const ItemRef& ref, int64_t now_us);
  // The whole case: header, parties, items (with deadlines and overdue
  // flags), every event in order. nullopt if unknown. `event_limit` caps the
  // event list (the newest are kept; `events_total` says how many there are;
  // 0: no `events` key at all, for lists).
  [[nodiscard]] Result<std::optional<nlohmann::json>> CaseView(const std::string& case_id, int64_t now_us,
                                                               size_t event_limit = 5000);
  // Cases in which `agency` is a party (every case when empty), most
  // recently updated first. state: "" | "open" | "closed".
  [[nodiscard]] Result<nlohmann::json> ListCases(const std::string& agency, const std::string& state,
                                                 size_t limit, int64_t now_us);
  // Overdue items of `agency` (all when empty), most urgent first; only those
  // past the escalation threshold when `escalated_only`. Records each miss.
  [[nodiscard]] Result<nlohmann::json> Overdue(const std::string& agency, bool escalated_only, int64_t now_us);
  // Every missed deadline recorded (kept after a late answer).
  [[nodiscard]] Result<nlohmann::json> Missed(const std::string& agency);
  // The figures of `agency`'s items (every agency's when empty), from the
  // items themselves (case_statistics.cc): by partner country and direction,
  // by type, by state, and deadlines met, missed, open and overdue. Reads
  // every item: O(items), for a statistics page, not a hot path.
  [[nodiscard]] Result<nlohmann::json> Statistics(const std::string& agency, int64_t now_us);
  // The ACTIP monitoring statistics of the items created in the query's
  // period (item_stats.h, docs/STATISTICS.md). O(items), like Statistics.
  [[nodiscard]] Result<nlohmann::json> Stats(const StatsQuery& query, int64_t now_us);
  // Alerts sent or received: state "" | active | expired | cancelled.
  [[nodiscard]] Result<nlohmann::json> Alerts(const std::string& state, int64_t now_us);
  // The broker refused one of this node's events: an item it opened shows
  // `refused` with the reason (never `sent`), an answer is marked refused in
  // the thread. Unknown ids are ignored.
  // `commit` writes the case model's changes together with the caller's
  // (the outbox status), in one synced write, under the case lock.
  [[nodiscard]] Status MarkRefused(const std::string& event_id, const std::string& code,
                                   const std::string& message,
                                   const std::function<Status(const WriteSet&)>& commit);
  // Whether `agency` is a party of the case.
  [[nodiscard]] Result<bool> IsParty(const std::string& case_id, const std::string& agency);
  // The case's consent record (consent_scope.h), null when the case is
  // unknown or has no referral here. What every view is filtered by.
  [[nodiscard]] Result<nlohmann::json> Consent(const std::string& case_id);

  const CaseOptions& options() const { return options_; }

 private:
  friend class CaseTxn;
  void Decorate(nlohmann::json& item, int64_t now_us) const;

  NodeStore* store_;
  CaseOptions options_;
  std::mutex mu_;
};

// The local agency an incoming event is for: the destination in this
// node's country that names an agency, else the local agency with the role
// named, else the default agency.
std::string LocalAgencyFor(const CaseOptions& options, const fb::Event& event);

// What an erased case keeps of its erasure (its tombstone, docs/ERASURE.md).
struct Erasure {
  std::string case_id{};
  int64_t at_us = 0;
  std::string country{};  // who erased it
  std::string agency{};
  std::string officer{};  // empty for retention
  std::string justification{};
  std::string legal_basis{};
  std::string event_id{};  // the CaseErased; empty when erased here only
  std::string reason{};    // "request" or "retention"
  // {case_id, at_us, by {country, agency}, officer, justification,
  // legal_basis, event_id, reason}
  nlohmann::json ToJson() const;
};

// The tombstone a CaseErased event leaves.
nlohmann::json ErasureTombstone(const fb::Event& event, const std::string& reason);

// Whether an item in `state` still waits for the counterpart's answer.
bool AwaitsAnswer(const std::string& kind, const std::string& state);

}  // namespace lintas::node
