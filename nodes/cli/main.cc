// lintas: the command-line tool of liaison officers and scripts. It talks to
// the local node's HTTP API (--node, or $LINTAS_NODE).
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "account_commands.h"
#include "audit_command.h"
#include "case_commands.h"
#include "case_view.h"
#include "compare_command.h"
#include "witness_command.h"
#include "receipt_command.h"
#include "stats_commands.h"
#include "credentials.h"
#include "webhook_commands.h"
#include "client.h"
#include "lintas/common/clock.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

volatile std::sig_atomic_t g_interrupted = 0;

struct Global {
  std::string node = "http://127.0.0.1:7480";
  bool json = false;
};

void PrintStatus(const json& s) {
  std::cout << fmt::format("{}  {}", s.value("id", ""), s.value("status", ""));
  if (s.contains("offset")) std::cout << fmt::format("  offset={}", s["offset"].get<uint64_t>());
  if (s.value("duplicate", false)) std::cout << " (already stored)";
  if (s.contains("error")) {
    std::cout << fmt::format("  {}: {}", s["error"].value("code", ""), s["error"].value("message", ""));
  }
  // Held back until an addressee's node has a seal key (docs/SECURITY.md).
  if (s.contains("waiting")) std::cout << fmt::format("  waiting: {}", s.value("waiting", ""));
  std::cout << "\n";
}

std::string Summary(const json& event) {
  std::string type = event.value("body_type", "");
  const json& body = event.contains("body") ? event["body"] : json::object();
  // Free text from another country: printed as text, control characters
  // (terminal escape sequences) replaced.
  if (type == "AlertPublished") return Safe(body.value("title", ""));
  if (type == "ReferralCreated" && body.contains("victim")) {
    return "victim " + Safe(body["victim"].value("pseudonym", ""));
  }
  if (type == "ReferralAcknowledged") return "by " + Safe(body.value("officer", ""));
  return "";
}

void PrintInboxTable(const json& events) {
  std::cout << fmt::format("{:>7}  {:<22}  {:<20}  {:<15}  {:<15}  {}\n", "OFFSET", "TYPE", "FROM",
                           "CASE", "PRIORITY", "SUMMARY");
  for (const auto& e : events) {
    const json& ev = e["event"];
    std::string from = Safe(ev["origin"].value("country", "") + "/" + ev["origin"].value("agency", ""));
    std::cout << fmt::format("{:>7}  {:<22}  {:<20}  {:<15}  {:<15}  {}\n",
                             e["offset"].get<uint64_t>(), ev.value("body_type", ""), from,
                             Safe(ev.value("case_id", "-")), ev.value("priority", "Routine"),
                             e.contains("unreadable") ? "(" + Safe(e.value("unreadable", "")) + ")" : Summary(ev));
  }
}

// Builds a ReferralCreated from flags.
struct SendFlags {
  std::string to;
  std::string file;
  std::string case_id;
  std::string victim;
  std::string guardian;
  bool minor = false;
  std::string nationality;
  std::string language;
  std::string priority = "routine";
  std::string due;
  std::string handling = "H0";
  std::string handling_text;
  std::string summary;
  std::vector<std::string> consent{"Identity"};
  std::string agency;
};

int ParseDestination(const std::string& to, json* dest) {
  auto slash = to.find('/');
  if (to.size() < 5 || slash != 3) {
    std::cerr << "lintas: --to: use COUNTRY/agency-id (KHM/kh-mosvy) or COUNTRY/role (KHM/social_welfare)\n";
    return kExitBadInput;
  }
  std::string country = to.substr(0, 3);
  std::string who = to.substr(4);
  static const std::vector<std::string> roles = {"police", "prosecutor", "social_welfare", "labour",
                                                 "ngo", "focal_point", "auditor"};
  if (std::find(roles.begin(), roles.end(), who) != roles.end()) {
    *dest = {{"country", country}, {"role", Camel(who)}};
  } else {
    *dest = {{"country", country}, {"agency", who}};
  }
  return kExitOk;
}

int Send(NodeClient& node, const Global& g, const SendFlags& f) {
  json event;
  if (!f.file.empty()) {
    std::ifstream in(f.file);
    if (!in) {
      std::cerr << "lintas: cannot read " << f.file << "\n";
      return kExitBadInput;
    }
    event = json::parse(in, nullptr, false);
    if (event.is_discarded()) {
      std::cerr << "lintas: " << f.file << " is not valid JSON\n";
      return kExitBadInput;
    }
  } else {
    if (f.to.empty() || f.case_id.empty() || f.victim.empty()) {
      std::cerr << "lintas: send needs --to, --case and --victim (or --file)\n";
      return kExitBadInput;
    }
    json dest;
    if (int rc = ParseDestination(f.to, &dest); rc != kExitOk) return rc;
    int64_t now = NowMicros();
    json victim{{"pseudonym", f.victim}, {"minor", f.minor}};
    if (!f.nationality.empty()) victim["nationality_claimed"] = f.nationality;
    if (!f.language.empty()) victim["languages"] = {f.language};
    if (!f.guardian.empty()) victim["guardian"] = {{"pseudonym", f.guardian}};
    event = {{"destinations", {dest}},
             {"case_id", f.case_id},
             {"priority", Camel(f.priority)},
             {"handling", f.handling},
             {"body_type", "ReferralCreated"},
             {"body", {{"victim", victim}, {"consent", {{"items", f.consent}, {"given_at_us", now}}}}}};
    if (!f.summary.empty()) event["body"]["summary"] = f.summary;
    if (!f.handling_text.empty()) event["handling_text"] = f.handling_text;
    if (!f.agency.empty()) event["origin"] = {{"agency", f.agency}};
    if (!f.due.empty()) {
      auto d = ParseDuration(f.due);
      if (!d) {
        std::cerr << "lintas: --due: use a duration like 8h or 3d\n";
        return kExitBadInput;
      }
      event["response_due_us"] = now + *d;
    }
  }
  Reply r = node.Post("/v1/events", event);
  if (r.status != 200 && r.status != 202) return Fail(r);
  if (g.json) {
    std::cout << r.body.dump() << "\n";
  } else {
    PrintStatus(r.body);
  }
  return kExitOk;
}

int Status(NodeClient& node, const Global& g, const std::string& id, int wait_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  for (;;) {
    Reply r = node.Get("/v1/events/" + id);
    if (r.status != 200) return Fail(r);
    bool queued = r.body.value("status", "") == "queued";
    if (!queued || wait_s == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (g.json) std::cout << r.body.dump() << "\n";
      else PrintStatus(r.body);
      if (r.body.value("status", "") == "refused" || (queued && wait_s > 0)) return kExitRefused;
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling the node, bounded
  }
}

int Inbox(NodeClient& node, const Global& g, const std::string& reader, uint64_t after,
          bool has_after, uint64_t limit, bool advance) {
  std::string path = fmt::format("/v1/inbox?limit={}", limit);
  if (has_after) path += fmt::format("&after={}", after);
  if (!reader.empty()) path += "&reader=" + reader;
  Reply r = node.Get(path);
  if (r.status != 200) return Fail(r);
  if (g.json) std::cout << r.body.dump() << "\n";
  else PrintInboxTable(r.body["events"]);
  if (advance && !reader.empty() && !r.body["events"].empty()) {
    Reply a = node.Post("/v1/readers/" + reader + "/ack", {{"offset", r.body["next_after"]}});
    if (a.status != 200) return Fail(a);
  }
  return kExitOk;
}

int Watch(NodeClient& node, const Global& g, const std::string& reader, int count, int timeout_s) {
  int seen = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (!g_interrupted && (count == 0 || seen < count) &&
         (timeout_s == 0 || std::chrono::steady_clock::now() < deadline)) {
    Reply r = node.Get("/v1/inbox?limit=100&reader=" + reader);
    if (r.status != 200) return Fail(r);
    const json& events = r.body["events"];
    for (const auto& e : events) {
      if (g.json) std::cout << e.dump() << "\n";
      else PrintInboxTable(json::array({e}));
      ++seen;
    }
    std::cout << std::flush;
    if (!events.empty()) {
      Reply a = node.Post("/v1/readers/" + reader + "/ack", {{"offset", r.body["next_after"]}});
      if (a.status != 200) return Fail(a);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling the node, bounded
  }
  return count == 0 || seen >= count ? kExitOk : kExitRefused;
}

// Writes `text` to a new file with `mode`; refuses to replace an existing one.
bool WriteNew(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    std::cerr << "lintas: " << path << ": " << std::strerror(errno)
              << (errno == EEXIST ? " (keys are never overwritten)" : "") << "\n";
    return false;
  }
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  return ok;
}

int Keygen(const std::string& prefix, bool as_json) {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    std::cerr << "lintas: this libzmq has no CURVE support\n";
    return kExitFailure;
  }
  std::string key = prefix + ".key";
  std::string pub = prefix + ".pub";
  if (access(key.c_str(), F_OK) == 0 || access(pub.c_str(), F_OK) == 0) {
    std::cerr << "lintas: " << prefix << ".key or .pub exists; keys are never overwritten\n";
    return kExitBadInput;
  }
  if (!WriteNew(key, std::string(secret_key) + "\n", 0600)) return kExitBadInput;
  if (!WriteNew(pub, std::string(public_key) + "\n", 0644)) return kExitBadInput;
  std::memset(secret_key, 0, sizeof(secret_key));
  if (as_json) {
    std::cout << json{{"public_key", public_key}, {"secret_key_file", key}, {"public_key_file", pub}}.dump() << "\n";
  } else {
    std::cout << "public key " << public_key << "\nsecret key written to " << key << " (mode 0600)\n";
  }
  return kExitOk;
}

}  // namespace
}  // namespace lintas::cli

int main(int argc, char** argv) {
  using namespace lintas::cli;
  using nlohmann::json;
  CLI::App app{
      "lintas: work cross-border cases (referrals, information requests, alerts) through your country's node.\n"
      "Start with `lintas login --user ID`; then `lintas referral new --help`, `lintas case show CASE`.\n"
      "Exit codes: 0 ok, 1 failure, 2 bad input, 3 node unreachable, 4 not found, 5 refused or "
      "timed out."};
  app.require_subcommand(1);
  // Global flags (--node, --json) are taken after a subcommand too.
  app.fallthrough();
  Global g;
  if (const char* env = std::getenv("LINTAS_NODE")) g.node = env;
  app.add_option("--node", g.node, "The node's API (default $LINTAS_NODE or http://127.0.0.1:7480)");
  app.add_flag("--json", g.json, "Print JSON instead of tables (for scripts)");
  int rc = kExitOk;

  SendFlags send;
  auto* s = app.add_subcommand("send", "Send a referral (from flags, or an event from a JSON file)");
  s->add_option("--to", send.to, "Addressee: COUNTRY/agency-id or COUNTRY/role (KHM/social_welfare)");
  s->add_option("--file", send.file, "An event as JSON (see `lintas example`)");
  s->add_option("--case", send.case_id, "Case id (TH-2026-0192)");
  s->add_option("--victim", send.victim, "Pseudonym of the presumed victim (never a name)");
  s->add_flag("--minor", send.minor, "The person is a minor (needs --guardian)");
  s->add_option("--guardian", send.guardian, "Pseudonym of the guardian");
  s->add_option("--nationality", send.nationality, "Claimed nationality (ISO 3166-1 alpha-3)");
  s->add_option("--language", send.language, "Language spoken (ISO 639-1)");
  s->add_option("--priority", send.priority, "routine, urgent or life-threatening")->capture_default_str();
  s->add_option("--due", send.due, "Response due in (8h, 3d)");
  s->add_option("--handling", send.handling, "Handling code H0..H3")->capture_default_str();
  s->add_option("--handling-text", send.handling_text, "Conditions, for H3");
  s->add_option("--summary", send.summary, "Short summary (no names)");
  s->add_option("--consent", send.consent, "Consent items (Identity ReturnLogistics Health ...)");
  s->add_option("--agency", send.agency, "Sending agency (default: the node's)");
  s->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    rc = Send(node, g, send);
  });

  std::string id;
  int wait_s = 0;
  auto* st = app.add_subcommand("status", "Show an event's status (queued, acknowledged, refused)");
  st->add_option("id", id, "Event id")->required();
  st->add_option("--wait", wait_s, "Wait up to this many seconds while it is queued");
  st->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    rc = Status(node, g, id, wait_s);
  });

  std::string reader;
  uint64_t after = 0;
  uint64_t limit = 50;
  bool advance = false;
  auto* in = app.add_subcommand("inbox", "List received events");
  in->add_option("--reader", reader, "Use (and with --advance move) this reader's cursor");
  auto* after_opt = in->add_option("--after", after, "Only events after this offset");
  in->add_option("--limit", limit, "At most this many")->capture_default_str();
  in->add_flag("--advance", advance, "Move the reader's cursor past what was listed");
  in->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    rc = Inbox(node, g, reader, after, after_opt->count() > 0, limit, advance);
  });

  std::string sub_name;
  std::vector<std::string> categories;
  std::vector<std::string> origins;
  std::string min_priority = "routine";
  auto* sb = app.add_subcommand("subscribe", "Subscribe to partner-country alerts");
  sb->add_option("name", sub_name, "Subscription name")->required();
  sb->add_option("--category", categories, "Alert categories (forced_criminality, missing_person, ...)");
  sb->add_option("--origin", origins, "Only from these countries (ISO alpha-3)");
  sb->add_option("--min-priority", min_priority, "routine, urgent or life-threatening")->capture_default_str();
  sb->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    json cats = json::array();
    for (const auto& c : categories) cats.push_back(Camel(c));
    lintas::cli::Reply r = node.Post("/v1/subscriptions", {{"name", sub_name}, {"alert_categories", cats},
                                                  {"origin_countries", origins},
                                                  {"min_priority", Camel(min_priority)}});
    if (r.status != 201) {
      rc = Fail(r);
      return;
    }
    std::cout << (g.json ? r.body.dump() : "subscribed: " + sub_name) << "\n";
  });

  auto* ub = app.add_subcommand("unsubscribe", "Stop a subscription");
  ub->add_option("name", sub_name, "Subscription name")->required();
  ub->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    lintas::cli::Reply r = node.Delete("/v1/subscriptions/" + sub_name);
    if (r.status != 204) {
      rc = Fail(r);
      return;
    }
    std::cout << "unsubscribed: " << sub_name << "\n";
  });

  int count = 0;
  int timeout_s = 0;
  std::string watch_reader = "watch";
  auto* wt = app.add_subcommand("watch", "Print new events as they arrive (Ctrl-C stops)");
  wt->add_option("--reader", watch_reader, "Reader cursor to follow")->capture_default_str();
  wt->add_option("--count", count, "Stop after this many events");
  wt->add_option("--timeout", timeout_s, "Stop after this many seconds");
  wt->callback([&] {
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    NodeClient node(g.node, ResolveToken(g.node));
    rc = Watch(node, g, watch_reader, count, timeout_s);
  });

  std::string key_path;
  auto* kg = app.add_subcommand("keygen", "Write a CURVE key pair: PATH.key (secret, mode 0600) and PATH.pub");
  kg->add_option("path", key_path, "Path prefix of the two files (refuses to overwrite)")->required();
  kg->callback([&] { rc = Keygen(key_path, g.json); });

  AddAuditCommands(app, &g.json, &rc);
  AddReceiptCommand(app.get_subcommand("audit"), &g.node, &rc);
  AddCompareCommand(app.get_subcommand("audit"), &rc);
  AddWitnessCommand(app.get_subcommand("audit"), &g.node, &g.json, &rc);
  AddCaseCommands(app, &g.node, &g.json, &rc);
  AddAccountCommands(app, &g.node, &g.json, &rc);
  AddWebhookCommands(app, &g.node, &g.json, &rc);
  AddStatsCommands(app, &g.node, &g.json, &rc);

  std::string type;
  auto* ex = app.add_subcommand("example", "Print an example event of a body type, as JSON");
  ex->add_option("type", type, "Body type (ReferralCreated, AlertPublished, ...)")->required();
  ex->callback([&] {
    NodeClient node(g.node, ResolveToken(g.node));
    lintas::cli::Reply r = node.Get("/v1/examples/" + type);
    if (r.status != 200) {
      rc = Fail(r);
      return;
    }
    std::cout << r.body.dump(2) << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }
  return rc;
}
