// Handling codes of answers at the node.
#include "answer_handling.h"

#include <fmt/format.h>

#include "lintas/node/errc.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/record.h"
#include "lintas/wire/verify.h"

namespace lintas::node {
namespace {

Handling Of(const fb::Event& e) {
  return Handling{e.handling(), e.handling_text() != nullptr ? e.handling_text()->str() : std::string()};
}

}  // namespace

Result<std::optional<Handling>> HandlingOf(NodeStore& store, CaseVault& vault, const wire::EventId& id) {
  auto offset = store.InboxOffsetOf(id);
  if (!offset.ok()) return std::move(offset).error();
  if (offset->has_value()) {
    auto record = store.InboxRecord(**offset);
    if (!record.ok()) return std::move(record).error();
    if (!record->has_value()) return std::optional<Handling>();
    auto verified = wire::VerifyRecord(wire::AsBytes(**record));
    if (!verified.ok()) return std::move(verified).error();
    return std::optional<Handling>(Of(*fb::GetEvent(wire::RecordEventBytes(**verified).data())));
  }
  auto status = store.GetStatus(id);
  if (!status.ok()) return std::move(status).error();
  if (!status->has_value()) return std::optional<Handling>();
  auto sent = store.OutboxEvent((*status)->local_seq);
  if (!sent.ok()) return std::move(sent).error();
  if (!sent->has_value()) return std::optional<Handling>();
  auto plain = vault.OpenCopy(**sent);
  if (!plain.ok()) return std::move(plain).error();
  auto verified = wire::VerifyEvent(wire::AsBytes(*plain));
  if (!verified.ok()) return std::move(verified).error();
  return std::optional<Handling>(Of(**verified));
}

Status CheckAnswerHandling(NodeStore& store, CaseVault& vault, const fb::Event& e) {
  if (e.parent_id() == nullptr) return OkStatus();
  auto parent = HandlingOf(store, vault, wire::EventId::FromFb(*e.parent_id()));
  if (!parent.ok()) return std::move(parent).error();
  if (!parent->has_value() || e.handling() >= (*parent)->code) return OkStatus();
  return Error{errc::bad_input,
               fmt::format("handling: {} is weaker than {}, the handling code of the event this one answers; keep "
                           "{} (leave handling out to inherit it) or pick a stricter one",
                           fb::EnumNameHandlingCode(e.handling()), fb::EnumNameHandlingCode((*parent)->code),
                           fb::EnumNameHandlingCode((*parent)->code)),
               "handling"};
}

Status InheritHandling(NodeStore& store, CaseVault& vault, const std::string& parent_id, nlohmann::json& body) {
  if (body.contains("handling")) return OkStatus();
  auto id = wire::EventId::Parse(parent_id);
  if (!id.ok()) return OkStatus();  // the event's own checks name the field
  auto parent = HandlingOf(store, vault, *id);
  if (!parent.ok()) return std::move(parent).error();
  if (!parent->has_value()) return OkStatus();
  body["handling"] = fb::EnumNameHandlingCode((*parent)->code);
  if ((*parent)->code == fb::HandlingCode::H3 && !body.contains("handling_text") && !(*parent)->text.empty()) {
    body["handling_text"] = (*parent)->text;
  }
  return OkStatus();
}

}  // namespace lintas::node
