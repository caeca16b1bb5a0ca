// Printing cases for people.
#include "case_view.h"

#include <iostream>

#include <fmt/format.h>

#include "client.h"

namespace lintas::cli {

using nlohmann::json;

std::string Safe(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    auto third = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if (c < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // C1 controls (U+0080-U+009F), CSI among them
      out.push_back('?');
      ++i;
    } else if (c == 0xe2 && next == 0x80 && third >= 0xaa && third <= 0xae) {  // U+202A-U+202E bidi overrides
      out.push_back('?');
      i += 2;
    } else if (c == 0xe2 && next == 0x81 && third >= 0xa6 && third <= 0xa9) {  // U+2066-U+2069 bidi isolates
      out.push_back('?');
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

namespace {

std::string S(const json& j, const char* key) { return j.is_object() ? Safe(j.value(key, "")) : ""; }

std::string PartyText(const json& p) {
  if (!p.is_object()) return "";
  std::string agency = S(p, "agency");
  return S(p, "country") + "/" + (agency.empty() ? S(p, "role") + " (role)" : agency);
}

std::string DueText(const json& item) {
  int64_t due = item.value("due_us", int64_t{0});
  if (due == 0) return "-";
  std::string text = When(due);
  if (item.value("overdue", false)) text += item.value("escalated", false) ? " OVERDUE (escalated)" : " OVERDUE";
  return text;
}

}  // namespace

void PrintItems(const json& items) {
  std::cout << fmt::format("  {:<36}  {:<8}  {:<15}  {:<15}  {:<24}  {}\n", "ITEM", "KIND", "STATE", "PRIORITY",
                           "COUNTERPART", "DUE");
  for (const auto& i : items) {
    std::cout << fmt::format("  {:<36}  {:<8}  {:<15}  {:<15}  {:<24}  {}\n", S(i, "item_id"), S(i, "kind"),
                             S(i, "state"), S(i, "priority"), PartyText(i["counterpart"]), DueText(i));
    if (i.contains("refusal")) {
      std::cout << fmt::format("      refused by the broker: {} {}\n", S(i["refusal"], "code"), S(i["refusal"], "message"));
    }
    if (i.contains("decline")) {
      std::cout << fmt::format("      declined: {} {}\n", S(i["decline"], "reason"), S(i["decline"], "note"));
    }
    if (i.contains("delay")) {
      std::cout << fmt::format("      delayed until {}: {}\n", When(i["delay"].value("new_due_us", int64_t{0})),
                               S(i["delay"], "reason"));
    }
    if (i.contains("return")) {
      std::cout << fmt::format("      return at {} on {}\n", S(i["return"], "checkpoint"),
                               When(i["return"].value("planned_at_us", int64_t{0})));
    }
    if (!i.value("closed_by", json::array()).empty()) {
      std::string who;
      for (const auto& c : i["closed_by"]) who += (who.empty() ? "" : ", ") + S(c, "agency") + " (" + S(c, "outcome") + ")";
      std::cout << "      closed by " << who << "\n";
    }
    if (i.contains("consent")) {
      std::string scope;
      for (const auto& c : i["consent"]) scope += (scope.empty() ? "" : ", ") + Safe(c.get<std::string>());
      std::cout << "      consent: " << (scope.empty() ? "none" : scope) << "\n";
    }
  }
}

void PrintCase(const json& c) {
  std::cout << fmt::format("case {}  {}\n", S(c, "case_id"), S(c, "state"));
  if (c.contains("erased") && c["erased"].is_object()) {
    const json& t = c["erased"];
    std::cout << fmt::format("ERASED {} by {} ({}): {}\n", When(t.value("at_us", int64_t{0})), PartyText(t["by"]),
                             S(t, "reason"), S(t, "justification"));
    std::cout << "  its content can no longer be decrypted on this node; what remains is the record below\n";
  }
  std::cout << "parties:";
  for (const auto& p : c["parties"]) std::cout << "  " << PartyText(p);
  std::cout << "\n";
  if (c.contains("references") && !c["references"].empty()) {
    std::cout << "national references:";
    for (auto it = c["references"].begin(); it != c["references"].end(); ++it) {
      std::cout << "  " << Safe(it.key()) << " " << Safe(it.value().get<std::string>());
    }
    std::cout << "\n";
  }
  std::cout << "items:\n";
  PrintItems(c["items"]);
  std::cout << "thread:\n";
  for (const auto& e : c["events"]) {
    std::string officer = S(e, "officer");
    std::cout << fmt::format("  {}  {:<8}  {:<22}  {:<22}  {}\n", When(e.value("created_at_us", int64_t{0})),
                             S(e, "direction"), S(e, "type"), PartyText(e["from"]),
                             (officer.empty() ? std::string("(automatic)") : "by " + officer) +
                                 (e.contains("refused") ? "  REFUSED: " + S(e["refused"], "code") : std::string()));
  }
}

void PrintCaseList(const json& cases) {
  std::cout << fmt::format("{:<16}  {:<7}  {:<6}  {:<8}  {}\n", "CASE", "STATE", "ITEMS", "OVERDUE", "UPDATED");
  for (const auto& c : cases) {
    std::cout << fmt::format("{:<16}  {:<7}  {:<6}  {:<8}  {}\n", S(c, "case_id"), S(c, "state"), c["items"].size(),
                             c.value("overdue", false) ? "OVERDUE" : "", When(c.value("updated_at_us", int64_t{0})));
  }
}

void PrintAlerts(const json& alerts) {
  std::cout << fmt::format("{:<36}  {:<9}  {:<17}  {:<15}  {:<18}  {}\n", "ALERT", "STATE", "CATEGORY", "PRIORITY",
                           "FROM", "TITLE");
  for (const auto& a : alerts) {
    std::cout << fmt::format("{:<36}  {:<9}  {:<17}  {:<15}  {:<18}  {}\n", S(a, "item_id"), S(a, "state"),
                             S(a, "category"), S(a, "priority"), PartyText(a["origin"]), S(a, "title"));
  }
}

void PrintAccess(const json& reply) {
  std::cout << fmt::format("{:>5}  {:<20}  {:<18}  {:<12}  {:<14}  {:<16}  {}\n", "SEQ", "WHEN", "WHO", "AGENCY",
                           "ACTION", "CASE", "JUSTIFICATION");
  for (const auto& e : reply["entries"]) {
    std::cout << fmt::format("{:>5}  {:<20}  {:<18}  {:<12}  {:<14}  {:<16}  {}\n", e.value("seq", uint64_t{0}),
                             When(e.value("at_us", int64_t{0})), S(e, "user"), S(e, "agency"), S(e, "action"),
                             S(e, "case_id"), S(e, "justification"));
  }
  const json& chain = reply["chain"];
  if (chain.value("ok", false)) {
    std::cout << fmt::format("hash chain intact: {} entries, head {}\n", chain.value("entries", uint64_t{0}),
                             S(chain, "head"));
  } else {
    std::cout << fmt::format("HASH CHAIN BROKEN at entry {}: {}\n", chain.value("first_bad_seq", uint64_t{0}),
                             S(chain, "problem"));
  }
}

}  // namespace lintas::cli
