// The case verbs of the lintas CLI (docs/API.md, "The CLI").
#include "case_commands.h"

#include <cctype>
#include <deque>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "case_view.h"
#include "client.h"
#include "credentials.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

enum class Kind { kString, kList, kBool, kNumber };

struct Flag {
  const char* flag;   // "--due"
  const char* field;  // "due", or "victim.pseudonym" (nested)
  Kind kind;
  const char* help;
};

struct Verb {
  const char* name;
  const char* action;  // POST /v1/items/{id}/<action>; "" for the group's special verbs
  const char* help;
  std::vector<Flag> flags;
};

// Values bound to CLI11 options; the deque keeps their addresses stable.
struct Values {
  std::deque<std::string> strings;
  std::deque<std::vector<std::string>> lists;
  std::deque<bool> bools;
  std::vector<std::pair<const Flag*, void*>> bound;
};

void SetPath(json& j, const std::string& path, json value) {
  auto dot = path.find('.');
  if (dot == std::string::npos) {
    j[path] = std::move(value);
    return;
  }
  SetPath(j[path.substr(0, dot)], path.substr(dot + 1), std::move(value));
}

void Bind(CLI::App* cmd, Values& v, const std::vector<Flag>& flags) {
  for (const auto& f : flags) {
    switch (f.kind) {
      case Kind::kString:
      case Kind::kNumber:
        v.strings.emplace_back();
        cmd->add_option(f.flag, v.strings.back(), f.help);
        v.bound.emplace_back(&f, &v.strings.back());
        break;
      case Kind::kList:
        v.lists.emplace_back();
        cmd->add_option(f.flag, v.lists.back(), f.help);
        v.bound.emplace_back(&f, &v.lists.back());
        break;
      case Kind::kBool:
        v.bools.emplace_back(false);
        cmd->add_flag(f.flag, v.bools.back(), f.help);
        v.bound.emplace_back(&f, &v.bools.back());
        break;
    }
  }
}

json Collect(const Values& v) {
  json body = json::object();
  for (const auto& [flag, ptr] : v.bound) {
    switch (flag->kind) {
      case Kind::kString: {
        const auto& s = *static_cast<const std::string*>(ptr);
        if (!s.empty()) SetPath(body, flag->field, s);
        break;
      }
      case Kind::kNumber: {
        // A number when it reads as one; the node names the field otherwise.
        const auto& s = *static_cast<const std::string*>(ptr);
        if (s.empty()) break;
        bool digits = s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
        SetPath(body, flag->field, digits ? json(std::stoull(s)) : json(s));
        break;
      }
      case Kind::kList: {
        const auto& l = *static_cast<const std::vector<std::string>*>(ptr);
        if (!l.empty()) SetPath(body, flag->field, l);
        break;
      }
      case Kind::kBool:
        if (*static_cast<const bool*>(ptr)) SetPath(body, flag->field, true);
        break;
    }
  }
  return body;
}

NodeClient Client(const std::string& url) { return NodeClient(url, ResolveToken(url)); }

// The flag a field of the API came from, for error messages.
std::string FlagOf(const std::string& field, const std::vector<Flag>& flags) {
  for (const auto& f : flags) {
    if (field == f.field) return f.flag;
  }
  return field;
}

int FailWithFlags(const Reply& r, const std::vector<Flag>& flags) {
  if (r.status >= 400 && r.status < 500 && r.body.is_object() && r.body.contains("error")) {
    std::string field = r.body["error"].value("field", "");
    std::string message = r.body["error"].value("message", "");
    std::string flag = FlagOf(field, flags);
    if (!field.empty() && flag != field && message.rfind(field + ":", 0) == 0) {
      Reply copy = r;
      copy.body["error"]["message"] = flag + message.substr(field.size());
      copy.body["error"]["field"] = "";
      return Fail(copy);
    }
  }
  return Fail(r);
}

bool LooksLikeId(const std::string& s) { return s.size() == 36 && s[8] == '-' && s[13] == '-'; }

// An item id, from an id or from a case whose only open item of `kind` it is.
std::optional<std::string> ResolveItem(NodeClient& node, const std::string& target, const std::string& kind,
                                       int* rc) {
  if (LooksLikeId(target)) return target;
  Reply r = node.Get("/v1/cases/" + target);
  if (r.status != 200) {
    *rc = Fail(r);
    return std::nullopt;
  }
  std::vector<json> open;
  std::vector<json> all;
  for (const auto& item : r.body["items"]) {
    if (!kind.empty() && item.value("kind", "") != kind) continue;
    all.push_back(item);
    if (item.value("state", "") != "closed") open.push_back(item);
  }
  const auto& pick = open.size() == 1 ? open : all;
  if (pick.size() == 1) return pick[0].value("item_id", "");
  std::cerr << fmt::format("lintas: case {} has {} {}s; name one by its item id:\n", Safe(target), all.size(),
                           kind.empty() ? "item" : kind);
  for (const auto& item : all) {
    std::cerr << fmt::format("  {}  {}  {}\n", item.value("item_id", ""), Safe(item.value("state", "")),
                             Safe(item["counterpart"].value("agency", item["counterpart"].value("role", ""))));
  }
  *rc = kExitBadInput;
  return std::nullopt;
}

void PrintQueued(const json& body, const std::string& what, bool as_json) {
  if (as_json) {
    std::cout << body.dump() << "\n";
    return;
  }
  std::cout << fmt::format("{}  {}  ({})\n", body.value("id", ""), body.value("status", ""), what);
}

const Flag kReference{"--reference", "reference", Kind::kString, "Your agency's own national reference for the case"};
const Flag kNote{"--note", "note", Kind::kString, "A note for the counterpart"};
const Flag kPriority{"--priority", "priority", Kind::kString, "routine, urgent or life-threatening (default routine)"};
const Flag kDue{"--due", "due", Kind::kString, "Response due: 8h, 3d, 1w or 2026-12-09T10:00+07:00 (default by priority: 8h / 3d / 7d)"};
const Flag kHandling{"--handling", "handling", Kind::kString, "Handling code H0, H1, H2 or H3 (default H0)"};
const Flag kHandlingText{"--handling-text", "handling_text", Kind::kString, "The conditions, for H3"};
const Flag kLanguage{"--language", "language", Kind::kString, "Language of the free text (ISO 639-1)"};

std::vector<Verb> ReferralVerbs() {
  return {
      {"new", "", "Refer a presumed victim to a counterpart agency",
       {{"--to", "to", Kind::kList, "Addressee(s): COUNTRY/agency-id (KHM/kh-mosvy) or COUNTRY/role (KHM/social_welfare)"},
        {"--case", "case_id", Kind::kString, "Case id (TH-2026-0192)"},
        kReference,
        {"--victim", "victim.pseudonym", Kind::kString, "Pseudonym of the presumed victim (never a name)"},
        {"--sex", "victim.sex", Kind::kString, "female, male, other or unknown"},
        {"--age", "victim.age", Kind::kNumber, "Age in years (an estimate)"},
        {"--minor", "victim.minor", Kind::kBool, "The person is a minor (needs --guardian)"},
        {"--guardian", "victim.guardian", Kind::kString, "Pseudonym of the guardian (required for a minor)"},
        {"--nationality", "victim.nationality", Kind::kString, "Claimed nationality (ISO 3166-1 alpha-3)"},
        {"--speaks", "victim.languages", Kind::kList, "Languages the person speaks (ISO 639-1: km th vi ...)"},
        {"--needs", "victim.needs", Kind::kList, "Immediate needs (shelter, medical, interpreter ...)"},
        {"--consent", "consent", Kind::kList, "Consent scope: identity return_logistics health photograph testimony biometrics contact_family"},
        {"--exploitation", "exploitation", Kind::kString, "forced_labour, sexual_exploitation, forced_marriage, forced_criminality, ..."},
        {"--summary", "summary", Kind::kString, "Short summary (no names)"},
        kPriority, kDue, kHandling, kHandlingText, kLanguage,
        {"--readdresses", "readdresses", Kind::kString, "The declined item this one re-addresses"}}},
      {"ack", "acknowledge", "Acknowledge a received referral, as yourself", {kNote, kReference}},
      {"accept", "accept", "Accept a received referral", {kNote, kReference}},
      {"decline", "decline", "Decline a received referral with a coded reason",
       {{"--reason", "reason", Kind::kString, "not_competent, insufficient_information, no_consent, out_of_scope, duplicate, other"},
        kNote,
        {"--suggest", "suggested", Kind::kString, "Who may be competent instead: COUNTRY/agency or COUNTRY/role"}}},
      {"clarify", "clarify", "Ask the sender questions before deciding",
       {{"--question", "questions", Kind::kList, "A question (repeatable)"}}},
      {"answer", "answer", "Answer the counterpart's request for clarification",
       {{"--text", "text", Kind::kString, "The answer"}}},
      {"assign", "assign", "Assign the referral to an officer of your agency",
       {{"--officer", "officer", Kind::kString, "The officer's account id (default: you)"}}},
      {"extend", "extend", "Move the response deadline (the sender only)",
       {{"--due", "due", Kind::kString, "New deadline: 3d or 2026-12-12T17:00+07:00"},
        {"--reason", "reason", Kind::kString, "Why"}}},
      {"consent", "consent", "Record a change of the person's consent (the sender only)",
       {{"--withdraw", "withdraw", Kind::kList, "Items withdrawn (photograph health ...)"},
        {"--withdraw-all", "withdraw_all", Kind::kBool, "All consent withdrawn"},
        {"--scope", "consent", Kind::kList, "The new scope, replacing the old"}}},
      {"plan-return", "plan-return", "Plan the return hand-over",
       {{"--checkpoint", "checkpoint", Kind::kString, "Where (a border checkpoint)"},
        {"--on", "on", Kind::kString, "When: 2026-12-09T10:00+07:00"},
        {"--escort", "escort_agency", Kind::kString, "Escorting agency"}}},
      {"returned", "returned", "Confirm the person was handed over and received",
       {{"--checkpoint", "checkpoint", Kind::kString, "Where"},
        {"--on", "on", Kind::kString, "When (default now)"},
        {"--received-by", "received_by", Kind::kString, "Receiving agency (default yours)"}}},
      {"close", "close", "Close the referral for your side, with the outcome",
       {{"--outcome", "outcome", Kind::kString, "reintegrated, returned, declined, consent_withdrawn, transferred, other"},
        kNote}},
      {"read", "read", "Send a read receipt", {}},
  };
}

std::vector<Verb> RequestVerbs() {
  return {
      {"new", "", "Request information from a counterpart agency",
       {{"--to", "to", Kind::kList, "Addressee: COUNTRY/agency-id or COUNTRY/role (LAO/police)"},
        {"--case", "case_id", Kind::kString, "Case id"},
        kReference,
        {"--subject", "subject", Kind::kString, "Pseudonym of the person of interest"},
        {"--question", "questions", Kind::kList, "A question (repeatable)"},
        {"--legal-basis", "legal_basis", Kind::kString, "The legal basis of the request"},
        kPriority, kDue, kHandling, kHandlingText, kLanguage}},
      {"ack", "acknowledge", "Acknowledge a received request", {kNote, kReference}},
      {"delay", "delay", "Send a delay notice with a new date",
       {{"--reason", "reason", Kind::kString, "Why it takes longer"},
        {"--until", "until", Kind::kString, "New date: 5d or 2026-12-15"}}},
      {"provide", "provide", "Provide the information requested",
       {{"--content", "content", Kind::kString, "The information"}}},
      {"refuse", "refuse", "Refuse the request with a coded reason",
       {{"--reason", "reason", Kind::kString, "legal_restriction, ongoing_investigation, not_held, disproportionate, no_legal_basis, other"},
        kNote}},
      {"extend", "extend", "Move the deadline (the requester only)",
       {{"--due", "due", Kind::kString, "New deadline"}, {"--reason", "reason", Kind::kString, "Why"}}},
      {"close", "close", "Close the request for your side",
       {{"--outcome", "outcome", Kind::kString, "other, transferred, ..."}, kNote}},
  };
}

void AddGroup(CLI::App& app, const char* group, const char* help, const char* kind, const char* create_route,
              std::vector<Verb> verbs, const std::string* url, const bool* as_json, int* rc) {
  auto* g = app.add_subcommand(group, help);
  g->require_subcommand(1);
  auto shared_verbs = std::make_shared<std::vector<Verb>>(std::move(verbs));
  for (auto& verb : *shared_verbs) {
    auto* cmd = g->add_subcommand(verb.name, verb.help);
    auto values = std::make_shared<Values>();
    auto target = std::make_shared<std::string>();
    bool opening = std::string(verb.action).empty();
    if (!opening) cmd->add_option("item", *target, "The item id, or the case id if the case has one such item")->required();
    Bind(cmd, *values, verb.flags);
    const Verb* v = &verb;
    cmd->callback([=] {
      (void)shared_verbs;  // keeps the verb table alive
      NodeClient node = Client(*url);
      json body = Collect(*values);
      if (opening) {
        Reply r = node.Post(create_route, body);
        if (r.status != 202) {
          *rc = FailWithFlags(r, v->flags);
          return;
        }
        PrintQueued(r.body, fmt::format("{} {} queued; the node sends it to the broker", kind, body.value("case_id", "")),
                    *as_json);
        return;
      }
      auto item = ResolveItem(node, *target, kind, rc);
      if (!item) return;
      Reply r = node.Post("/v1/items/" + *item + "/" + v->action, body);
      if (r.status != 202) {
        *rc = FailWithFlags(r, v->flags);
        return;
      }
      PrintQueued(r.body, fmt::format("{} {} of item {}", kind, v->name, *item), *as_json);
    });
  }
}

void AddAlertCommands(CLI::App& app, const std::string* url, const bool* as_json, int* rc) {
  auto* g = app.add_subcommand("alert", "Publish, cancel and list alerts");
  g->require_subcommand(1);
  static const std::vector<Flag> kPublish = {
      {"--category", "category", Kind::kString, "forced_criminality, recruitment_scam, missing_person, scam_compound, ..."},
      {"--countries", "countries", Kind::kList, "Target countries (none: the whole region)"},
      {"--title", "title", Kind::kString, "Title (no names)"},
      {"--description", "description", Kind::kString, "Description"},
      {"--priority", "priority", Kind::kString, "routine, urgent or life-threatening (default urgent)"},
      {"--expires", "expires", Kind::kString, "Expires: 72h or a date (default 72h)"},
      {"--case", "case_id", Kind::kString, "Case id (optional)"},
      kHandling};
  auto* pub = g->add_subcommand("publish", "Publish an alert to selected countries or the region");
  auto values = std::make_shared<Values>();
  Bind(pub, *values, kPublish);
  pub->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Post("/v1/alerts", Collect(*values));
    if (r.status != 202) {
      *rc = FailWithFlags(r, kPublish);
      return;
    }
    PrintQueued(r.body, "alert queued", *as_json);
  });
  auto* cancel = g->add_subcommand("cancel", "Cancel an alert you published (reaches everyone who got it)");
  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  cancel->add_option("id", *id, "The alert's id")->required();
  cancel->add_option("--reason", *reason, "Why (the site was taken down, ...)");
  cancel->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Post("/v1/alerts/" + *id + "/cancel", {{"reason", *reason}});
    if (r.status != 202) {
      *rc = Fail(r);
      return;
    }
    PrintQueued(r.body, "cancellation queued", *as_json);
  });
  auto* list = g->add_subcommand("list", "List alerts sent and received");
  auto state = std::make_shared<std::string>();
  list->add_option("--state", *state, "active, expired or cancelled");
  list->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get("/v1/alerts" + (state->empty() ? "" : "?state=" + *state));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintAlerts(r.body["alerts"]);
  });
}

std::string Encode(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + Encode(v);
  }
  return q;
}

void AddViews(CLI::App& app, const std::string* url, const bool* as_json, int* rc) {
  auto* c = app.add_subcommand("case", "Show or list cases");
  c->require_subcommand(1);
  auto* show = c->add_subcommand("show", "A case: parties, references, items, deadlines and the whole thread");
  auto id = std::make_shared<std::string>();
  auto why = std::make_shared<std::string>();
  show->add_option("case", *id, "Case id")->required();
  show->add_option("--justification", *why, "Why you read it (auditors must say)");
  show->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get("/v1/cases/" + Encode(*id) + Query({{"justification", *why}}));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintCase(r.body);
  });
  auto* list = c->add_subcommand("list", "Your agency's cases, most recently updated first");
  auto state = std::make_shared<std::string>();
  list->add_option("--state", *state, "open or closed");
  list->add_option("--justification", *why, "Why you read them (auditors must say)");
  list->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get("/v1/cases" + Query({{"state", *state}, {"justification", *why}}));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintCaseList(r.body["cases"]);
  });
  auto* erase = c->add_subcommand(
      "erase", "Erase a case at every agency that holds it: its keys are destroyed, nothing of it can be read again "
               "(data-protection officers, role dpo)");
  auto basis = std::make_shared<std::string>();
  erase->add_option("case", *id, "Case id")->required();
  erase->add_option("--justification", *why, "Why it is erased: recorded at every holder (no personal data)")
      ->required();
  erase->add_option("--legal-basis", *basis, "The provision it is erased under (optional)");
  erase->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Post("/v1/cases/" + Encode(*id) + "/erase", {{"justification", *why}, {"legal_basis", *basis}});
    if (r.status != 202 && r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) {
      std::cout << r.body.dump() << "\n";
      return;
    }
    std::cout << fmt::format("case {} erased on this node: its keys are destroyed\n", Safe(*id));
    std::vector<std::string> to;
    for (const auto& a : r.body.value("recipients", json::array())) {
      to.push_back(Safe(a.value("country", "") + "/" + a.value("agency", "")));
    }
    if (to.empty()) std::cout << "no other agency holds it: nothing to send\n";
    else std::cout << fmt::format("erasure {} queued to every other holder: {}\n", Safe(r.body.value("id", "")),
                             fmt::join(to, ", "));
  });

  auto* od = app.add_subcommand("overdue", "Items past their response deadline, most urgent first");
  auto escalated = std::make_shared<bool>(false);
  od->add_flag("--escalated", *escalated, "Only escalations (supervisors)");
  od->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get(std::string("/v1/overdue") + (*escalated ? "?escalated=true" : ""));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintItems(r.body["items"]);
  });

  auto* dl = app.add_subcommand("deadlines", "Missed deadlines, kept after late answers (supervisors, auditors)");
  dl->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get("/v1/deadlines/missed");
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) {
      std::cout << r.body.dump() << "\n";
      return;
    }
    std::cout << fmt::format("{:<16}  {:<36}  {:<8}  {:<20}  {}\n", "CASE", "ITEM", "KIND", "DUE", "ANSWERED");
    for (const auto& m : r.body["missed"]) {
      int64_t answered = m.value("answered_at_us", int64_t{0});
      std::cout << fmt::format("{:<16}  {:<36}  {:<8}  {:<20}  {}\n", Safe(m.value("case_id", "")),
                               m.value("item_id", ""), Safe(m.value("kind", "")), When(m.value("due_us", int64_t{0})),
                               answered ? "late, " + When(answered) : std::string("not yet"));
    }
  });
}

void AddLocalAudit(CLI::App& app, const std::string* url, const bool* as_json, int* rc) {
  CLI::App* audit = nullptr;
  try {
    audit = app.get_subcommand("audit");
  } catch (const CLI::OptionNotFound&) {
    audit = app.add_subcommand("audit", "Audit");
  }
  auto* local = audit->add_subcommand("local", "The node's own consultation log: who viewed which case or event (data-protection officers)");
  auto why = std::make_shared<std::string>();
  auto kase = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  local->add_option("--justification", *why, "Why you export it (required)")->required();
  local->add_option("--case", *kase, "Only this case");
  local->add_option("--user", *user, "Only this account");
  local->add_option("--from", *from, "From (2026-11-01, or 7d ago as 7d)");
  local->add_option("--to", *to, "Until");
  local->callback([=] {
    NodeClient node = Client(*url);
    Reply r = node.Get("/v1/audit/local" + Query({{"justification", *why}, {"case", *kase}, {"user", *user},
                                                  {"from", *from}, {"to", *to}}));
    if (r.status != 200) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintAccess(r.body);
    if (!r.body["chain"].value("ok", false)) *rc = kExitFailure;
  });
}

}  // namespace

void AddCaseCommands(CLI::App& app, const std::string* url, const bool* as_json, int* rc) {
  AddGroup(app, "referral", "Referrals: new, ack, accept, decline, clarify, answer, assign, extend, consent, "
           "plan-return, returned, close, read", "referral", "/v1/referrals", ReferralVerbs(), url, as_json, rc);
  AddGroup(app, "request", "Information requests: new, ack, delay, provide, refuse, extend, close", "request",
           "/v1/requests", RequestVerbs(), url, as_json, rc);
  AddAlertCommands(app, url, as_json, rc);
  AddViews(app, url, as_json, rc);
  AddLocalAudit(app, url, as_json, rc);
}

}  // namespace lintas::cli
