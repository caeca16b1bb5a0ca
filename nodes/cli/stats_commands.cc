// lintas stats | lintas audit stats
#include "stats_commands.h"

#include <ctime>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "case_view.h"
#include "client.h"
#include "credentials.h"
#include "lintas/node/audit_client.h"
#include "lintas/node/audit_connection.h"
#include "lintas/node/config.h"
#include "lintas/wire/errc.h"

namespace lintas::cli {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

// RFC 4180: quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Columns from `first_number` on are right-aligned (numbers).
void PrintTable(const std::vector<std::string>& headers, const Rows& rows, size_t first_number, bool csv) {
  if (csv) {
    for (const Rows::value_type& row : Rows{headers}) {
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << CsvField(row[i]);
      std::cout << "\r\n";
    }
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << CsvField(row[i]);
      std::cout << "\r\n";
    }
    return;
  }
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      if (i) out += "  ";
      out += i >= first_number ? fmt::format("{:>{}}", row[i], width[i]) : fmt::format("{:<{}}", row[i], width[i]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// 45s, 12m, 3h20m, 2d4h.
std::string Human(const json& seconds) {
  if (!seconds.is_number()) return "-";
  double exact = seconds.get<double>();
  if (exact < 1) return "<1s";
  auto s = static_cast<int64_t>(exact);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

std::string Encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<std::string> Figures(const json& g, bool csv) {
  const json& d = g["deadlines"];
  const json& r = g["response_time"];
  auto num = [](const json& j) { return std::to_string(j.get<uint64_t>()); };
  auto secs = [&](const json& j) { return csv ? (j.is_number() ? fmt::format("{}", j.get<double>()) : "") : Human(j); };
  return {num(g["items"]),      num(d["met"]),         num(d["missed"]),     num(d["open"]),
          num(d["not_applicable"]), num(d["overdue_now"]), num(d["answered_late"]), num(r["answered"]),
          secs(r["p50_s"]),     secs(r["p90_s"])};
}

struct NodeStatsFlags {
  std::string from, to, by, justification;
  bool csv = false;
};

int NodeStats(const std::string& url, const NodeStatsFlags& f, bool as_json) {
  std::string q;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"from", f.from}, {"to", f.to}, {"by", f.by}, {"justification", f.justification}}) {
    if (!v.empty()) q += (q.empty() ? "?" : "&") + k + "=" + Encode(v);
  }
  NodeClient node(url, ResolveToken(url));
  Reply r = node.Get("/v1/stats" + q);
  if (r.status != 200) return Fail(r);
  if (as_json) {
    std::cout << r.body.dump() << "\n";
    return kExitOk;
  }
  std::vector<std::string> headers;
  for (const auto& d : r.body["by"]) headers.push_back(f.csv ? d.get<std::string>() : Upper(d.get<std::string>()));
  size_t dims = headers.size();
  for (const char* h : {"items", "met", "missed", "open", "not_applicable", "overdue_now", "answered_late",
                        "answered", "p50_response", "p90_response"}) {
    headers.push_back(f.csv ? std::string(h) : Upper(h));
  }
  Rows rows;
  for (const auto& g : r.body["groups"]) {
    std::vector<std::string> row;
    for (const auto& d : r.body["by"]) row.push_back(Safe(g["key"].value(d.get<std::string>(), "")));
    for (auto& x : Figures(g, f.csv)) row.push_back(std::move(x));
    rows.push_back(std::move(row));
  }
  if (dims == 0) {  // no grouping: one row, labelled
    headers.insert(headers.begin(), f.csv ? "group" : "");
    dims = 1;
  }
  std::vector<std::string> total(dims, "");
  total[0] = f.csv ? "total" : "TOTAL";
  for (auto& x : Figures(r.body, f.csv)) total.push_back(std::move(x));
  rows.push_back(std::move(total));
  if (!f.csv) {
    std::string agency = r.body.value("agency", "");
    int64_t from_us = r.body.value("from_us", int64_t{0});
    std::cout << fmt::format("Items of {} created from {} until {}\n",
                             agency.empty() ? "every agency here" : Safe(agency),
                             from_us > 0 ? When(from_us) : std::string("the start"),
                             r.body["to_us"].is_null() ? std::string("now") : When(r.body["to_us"].get<int64_t>()));
  }
  PrintTable(headers, rows, dims, f.csv);
  return kExitOk;
}

struct RegionalFlags {
  std::string config, justification, from, to, by = "origin,destination,month";
  bool csv = false;
};

// "2026-11" or "202611" -> 202611.
std::optional<uint32_t> ParseMonth(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != '-') digits += c;
  }
  if (digits.size() != 6 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  auto m = static_cast<uint32_t>(std::stoul(digits));
  if (m % 100 < 1 || m % 100 > 12) return std::nullopt;
  return m;
}

uint32_t ThisMonth() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

int RegionalStats(const RegionalFlags& f, bool as_json) {
  uint32_t to = ThisMonth();
  if (!f.to.empty()) {
    auto m = ParseMonth(f.to);
    if (!m) {
      std::cerr << "lintas: --to: use a month, 2026-11\n";
      return kExitBadInput;
    }
    to = *m;
  }
  uint32_t from = to;
  if (!f.from.empty()) {
    auto m = ParseMonth(f.from);
    if (!m) {
      std::cerr << "lintas: --from: use a month, 2026-01\n";
      return kExitBadInput;
    }
    from = *m;
  }
  node::NodeConfig config;
  try {
    config = node::LoadNodeConfig(f.config);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitBadInput;
  }
  auto conn = node::ConnectAuditor(config, "lintas-audit/0.1.0");
  if (!conn.ok()) {
    std::cerr << "error: " << conn.error().message << "\n";
    return kExitUnreachable;
  }
  node::AuditClient client((*conn)->client.get());
  auto table = client.Stats(f.by, from, to, f.justification);
  if (!table.ok()) {
    std::cerr << "error: " << table.error().message << "\n";
    auto code = static_cast<wire::errc>(table.error().code.value());
    if (code == wire::errc::permission_denied || code == wire::errc::justification_required) return kExitRefused;
    return code == wire::errc::malformed_message ? kExitBadInput : kExitFailure;
  }
  if (as_json) {
    std::cout << table->dump() << "\n";
    return kExitOk;
  }
  std::vector<std::string> headers;
  for (const auto& d : (*table)["by"]) headers.push_back(f.csv ? d.get<std::string>() : Upper(d.get<std::string>()));
  size_t dims = headers.size();
  headers.push_back(f.csv ? "events" : "EVENTS");
  if (f.csv) headers.push_back("row");
  Rows rows;
  for (const auto& c : (*table)["cells"]) {
    std::vector<std::string> row;
    bool total = c.value("total", false);
    for (const auto& d : (*table)["by"]) {
      const json& v = c[d.get<std::string>()];
      row.push_back(v.is_null() ? (total ? "(all)" : "") : Safe(v.get<std::string>()));
    }
    row.push_back(c.value("suppressed", false) ? (total ? "x" : "<5") : std::to_string(c["count"].get<uint64_t>()));
    if (f.csv) row.push_back(total ? "total" : "cell");
    rows.push_back(std::move(row));
  }
  if (!f.csv) {
    std::cout << fmt::format("Events received by the broker, {:04}-{:02} to {:04}-{:02}\n", from / 100, from % 100,
                             to / 100, to % 100);
  }
  PrintTable(headers, rows, dims, f.csv);
  if (!f.csv) {
    std::cout << "<5: 1 to 4 events (suppressed); x: a total withheld because it includes a suppressed cell\n";
  }
  return kExitOk;
}

}  // namespace

void AddStatsCommands(CLI::App& app, const std::string* url, const bool* as_json, int* rc) {
  auto nf = std::make_shared<NodeStatsFlags>();
  auto* st = app.add_subcommand(
      "stats",
      "ACTIP monitoring statistics of this node's referrals and requests: counts, deadlines met and missed, "
      "response times (supervisors and officers: their agency; auditors: every agency, with --justification)");
  st->add_option("--from", nf->from, "Items created from (2026-01, 2026-01-15, or 30d for 30 days ago)");
  st->add_option("--to", nf->to, "Until (a month or a day is included whole; default now)");
  st->add_option("--by", nf->by,
                 "Group by one or more of partner, direction, type, exploitation, priority, state, outcome, "
                 "reason, deadline, agency, month (comma-separated)");
  st->add_option("--justification", nf->justification, "Why (auditors)");
  st->add_flag("--csv", nf->csv, "Print CSV (RFC 4180) instead of a table");
  st->callback([=] { *rc = NodeStats(*url, *nf, *as_json); });

  auto rf = std::make_shared<RegionalFlags>();
  CLI::App* audit = app.get_subcommand("audit");
  auto* rs = audit->add_subcommand(
      "stats",
      "Regional statistics for the steering committee, from the broker's routing metadata: events by origin, "
      "destination, type, priority and month; counts of 1 to 4 shown as <5 and totals that would reveal "
      "them withheld");
  rs->add_option("--config", rf->config, "The auditing node's config (identity, keys, broker)")->required();
  rs->add_option("--justification", rf->justification, "Why (recorded in the broker's consultation log)")
      ->required();
  rs->add_option("--from", rf->from, "First month (2026-01; default: --to)");
  rs->add_option("--to", rf->to, "Last month, included (default: this month)");
  rs->add_option("--by", rf->by, "One or more of origin, destination, type, priority, month")
      ->capture_default_str();
  rs->add_flag("--csv", rf->csv, "Print CSV (RFC 4180) instead of a table");
  rs->callback([=] { *rc = RegionalStats(*rf, *as_json); });
}

}  // namespace lintas::cli
