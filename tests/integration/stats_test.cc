// Statistics reconcile with a known data set. At a node: a real broker and
// THA, KHM and VNM nodes (in-process), a set of referrals and requests built
// through the nodes' HTTP API (accepted, declined, provided, refused, left
// open, deadlines missed and answered late), and every figure of
// GET /v1/stats (and of `lintas stats`) checked against what the test
// computes itself from the data set it built. At the broker: events
// published with known origins, destinations and priorities, and
// `lintas audit stats` checked cell by cell, small cells suppressed and no
// total that would reveal one. All waits poll with a deadline.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/audit_client.h"
#include "lintas/node/audit_connection.h"
#include "lintas/node/config.h"
#include "lintas/node/node.h"
#include "lintas/wire/event_id.h"
#include "testutil/broker_harness.h"
#include "testutil/sample_events.h"
#include "testutil/temp_dir.h"

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kCli = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas";
const std::string kDirectory = std::string(LINTAS_SOURCE_DIR) + "/ops/directory/agencies.csv";
const std::string kWhy = "Regional steering committee report (pseudonymous test data)";

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(25ms);  // polling with a deadline
  }
  return done();
}

struct CliRun {
  int rc = -1;
  std::string out;
  json j;
};

// The lintas binary through the shell; `env` is prefixed (LINTAS_TOKEN=...).
CliRun Cli(const std::string& env, const std::string& args) {
  CliRun r;
  std::string command = env + " " + kCli + " " + args + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) r.out.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.j = json::parse(r.out, nullptr, false);
  return r;
}

std::string Password(const std::string& user) { return "pw-" + user + "-not-guessable"; }

// One account on one node, talking to its HTTP API with its own token.
struct User {
  std::string url;
  std::string token;

  std::pair<int, json> Call(const std::string& method, const std::string& path, const json& body = {}) const {
    httplib::Client c(url);
    c.set_read_timeout(30);
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    auto res = method == "GET" ? c.Get(path, h) : c.Post(path, h, body.dump(), "application/json");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  json Get(const std::string& path) const { return Call("GET", path).second; }
  // POSTs a step and expects it queued; returns the id.
  std::string Post(const std::string& path, const json& body) const {
    auto [status, reply] = Call("POST", path, body);
    EXPECT_EQ(status, 202) << path << " " << reply.dump();
    return reply.value("id", "");
  }
  // Polls the item until `done` holds; returns its last view.
  json WaitItem(const std::string& id, const std::function<bool(const json&)>& done,
                const std::string& query = "") const {
    json item;
    bool ok = Eventually([&] {
      auto [status, body] = Call("GET", "/v1/items/" + id + query);
      item = body;
      return status == 200 && done(body);
    });
    EXPECT_TRUE(ok) << "item " << id << " never reached the expected state: " << item.dump();
    return item;
  }
};

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigureLogging("warn", false);
    broker_ = std::make_unique<testutil::InProcessBroker>(
        testutil::TestConfig(dir_.Sub("broker-data"), "ipc://" + dir_.Sub("broker.sock")));
  }

  void StartNode(const std::string& id, const std::string& country, const std::string& agencies) {
    std::string toml = "[node]\nid = \"" + id + "\"\ncountry = \"" + country + "\"\nagencies = [" + agencies +
                       "]\ndirectory = \"" + kDirectory + "\"\ndata_dir = \"" + dir_.Sub(id) +
                       "\"\napi_port = 0\nlog_level = \"warn\"\n[broker]\nendpoint = \"ipc://" +
                       dir_.Sub("broker.sock") +
                       "\"\nretry_initial_ms = 20\nretry_max_ms = 200\n[security]\nmode = \"plaintext\"\n";
    auto n = std::make_unique<node::Node>(node::ParseNodeConfig(toml, "/"));
    urls_[id] = "http://127.0.0.1:" + std::to_string(n->Start());
    nodes_[id] = std::move(n);
  }

  User AddUser(const std::string& node_id, const std::string& id, const std::string& agency,
               std::vector<std::string> roles) {
    node::User u;
    u.id = id;
    u.agency = agency;
    u.roles = std::move(roles);
    auto s = nodes_.at(node_id)->accounts().AddUser(u, Password(id), NowMicros());
    EXPECT_TRUE(s.ok()) << s.error().message;
    httplib::Client c(urls_.at(node_id));
    auto res = c.Post("/v1/login", json{{"user", id}, {"password", Password(id)}}.dump(), "application/json");
    EXPECT_TRUE(res && res->status == 200);
    return User{urls_.at(node_id), res ? json::parse(res->body).value("token", "") : ""};
  }

  // The auditor identity at the broker (audit-node, with the audit
  // permission in the test broker's config), as a node config file.
  std::string AuditorConfig() {
    std::string path = dir_.Sub("auditor.toml");
    std::ofstream(path) << "[node]\nid = \"audit-node\"\ncountry = \"ASE\"\ndata_dir = \"" << dir_.Sub("auditor")
                        << "\"\n[broker]\nendpoint = \"ipc://" << dir_.Sub("broker.sock")
                        << "\"\n[security]\nmode = \"plaintext\"\n";
    return path;
  }

  testutil::TempDir dir_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  std::map<std::string, std::unique_ptr<node::Node>> nodes_;
  std::map<std::string, std::string> urls_;
};

// What the test knows of each item it made, as seen from the THA node.
struct Expected {
  std::string id, case_id, partner, direction, type, exploitation, priority, state, outcome, reason, deadline,
      agency;
  bool overdue_now = false, answered_late = false;
  std::string answer_type;  // the event that ended the wait, if any
  int64_t response_us = -1;
  std::string Get(const std::string& d) const {
    if (d == "partner") return partner;
    if (d == "direction") return direction;
    if (d == "type") return type;
    if (d == "exploitation") return exploitation;
    if (d == "priority") return priority;
    if (d == "state") return state;
    if (d == "outcome") return outcome;
    if (d == "reason") return reason;
    if (d == "deadline") return deadline;
    if (d == "agency") return agency;
    return "";
  }
};

// The test's own nearest-rank percentile, in seconds.
json Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return static_cast<double>(v[std::max<size_t>(rank, 1) - 1]) / 1e6;
}

// The figures of a group of items, computed here.
json Figures(const std::vector<const Expected*>& items) {
  std::map<std::string, uint64_t> d{{"met", 0}, {"missed", 0}, {"open", 0}, {"not_applicable", 0}};
  uint64_t overdue = 0, late = 0;
  std::vector<int64_t> responses;
  for (const auto* e : items) {
    ++d[e->deadline];
    overdue += e->overdue_now;
    late += e->answered_late;
    if (e->response_us >= 0) responses.push_back(e->response_us);
  }
  json deadlines(d);
  deadlines["overdue_now"] = overdue;
  deadlines["answered_late"] = late;
  return {{"items", items.size()},
          {"deadlines", deadlines},
          {"response_time",
           {{"answered", responses.size()}, {"p50_s", Percentile(responses, 50)}, {"p90_s", Percentile(responses, 90)}}}};
}

// Checks a /v1/stats answer against the items, for `by`.
void ExpectReconciles(const json& got, const std::vector<Expected>& items, const std::vector<std::string>& by) {
  SCOPED_TRACE("by " + json(by).dump());
  std::vector<const Expected*> all;
  std::map<std::vector<std::string>, std::vector<const Expected*>> groups;
  for (const auto& e : items) {
    all.push_back(&e);
    std::vector<std::string> key;
    for (const auto& d : by) key.push_back(e.Get(d));
    if (!by.empty()) groups[key].push_back(&e);
  }
  json total = Figures(all);
  for (const char* k : {"items", "deadlines", "response_time"}) EXPECT_EQ(got[k], total[k]) << k;
  ASSERT_EQ(got["groups"].size(), groups.size()) << got["groups"].dump();
  size_t i = 0;
  for (const auto& [key, members] : groups) {
    const json& g = got["groups"][i++];
    json want_key = json::object();
    for (size_t k = 0; k < by.size(); ++k) want_key[by[k]] = key[k];
    EXPECT_EQ(g["key"], want_key);
    json want = Figures(members);
    for (const char* k : {"items", "deadlines", "response_time"}) EXPECT_EQ(g[k], want[k]) << want_key.dump() << k;
  }
}

TEST_F(StatsTest, NodeFiguresReconcileWithTheCasesBuilt) {
  StartNode("th-node", "THA", "\"th-rtp-atpd\", \"th-msdhs\"");
  StartNode("kh-node", "KHM", "\"kh-mosvy\"");
  StartNode("vn-node", "VNM", "\"vn-mps-cpd\"");
  User th = AddUser("th-node", "officer-th-st1", "th-rtp-atpd", {"officer", "supervisor"});
  User th2 = AddUser("th-node", "officer-th-st2", "th-msdhs", {"officer"});
  User dpo = AddUser("th-node", "dpo-th-st", "th-rtp-atpd", {"auditor"});
  User kh = AddUser("kh-node", "officer-kh-st", "kh-mosvy", {"officer"});
  User vn = AddUser("vn-node", "officer-vn-st", "vn-mps-cpd", {"officer"});
  auto referral = [](const std::string& to, const std::string& kase, const std::string& exploitation,
                     const std::string& priority, const std::string& due) {
    json r{{"to", to},
           {"case_id", kase},
           {"victim", {{"pseudonym", "V-" + kase}}},
           {"consent", {"identity"}},
           {"exploitation", exploitation},
           {"priority", priority}};
    if (!due.empty()) r["due"] = due;
    return r;
  };
  auto request = [](const std::string& to, const std::string& kase, const std::string& priority,
                    const std::string& due) {
    json r{{"to", to}, {"case_id", kase}, {"subject", "S-" + kase}, {"questions", {"Current whereabouts"}},
           {"priority", priority}};
    if (!due.empty()) r["due"] = due;
    return r;
  };
  std::vector<Expected> items;
  auto add = [&](Expected e) { items.push_back(std::move(e)); };
  // The two with a 2-second deadline first, so that it has passed by the end.
  std::string r3 = th.Post("/v1/referrals", referral("VNM/vn-mps-cpd", "TH-ST-3", "forced_labour", "life_threatening", "2s"));
  std::string r4 = th.Post("/v1/referrals", referral("VNM/vn-mps-cpd", "TH-ST-4", "forced_labour", "routine", "2s"));
  std::string r1 = th.Post("/v1/referrals", referral("KHM/kh-mosvy", "TH-ST-1", "forced_labour", "urgent", "3d"));
  std::string r2 = th.Post("/v1/referrals", referral("KHM/kh-mosvy", "TH-ST-2", "sexual_exploitation", "routine", ""));
  std::string q1 = th.Post("/v1/requests", request("KHM/kh-mosvy", "TH-ST-Q1", "urgent", ""));
  std::string q2 = th.Post("/v1/requests", request("VNM/vn-mps-cpd", "TH-ST-Q2", "routine", ""));
  std::string q3 = th.Post("/v1/requests", request("KHM/kh-mosvy", "TH-ST-Q3", "routine", "3d"));
  std::string r5 = kh.Post("/v1/referrals", referral("THA/th-msdhs", "KH-ST-5", "forced_marriage", "urgent", ""));
  std::string r6 = vn.Post("/v1/referrals", referral("THA/th-rtp-atpd", "VN-ST-6", "other", "routine", ""));
  auto arrived = [](const json&) { return true; };
  // The partners' answers.
  kh.WaitItem(r1, arrived);
  kh.Post("/v1/items/" + r1 + "/acknowledge", json::object());
  kh.Post("/v1/items/" + r1 + "/accept", json::object());
  kh.Post("/v1/items/" + r1 + "/close", {{"outcome", "reintegrated"}});
  kh.WaitItem(r2, arrived);
  kh.Post("/v1/items/" + r2 + "/decline", {{"reason", "not_competent"}, {"note", "Not our mandate"}});
  kh.WaitItem(q1, arrived);
  kh.Post("/v1/items/" + q1 + "/provide", {{"content", "Sheltered in Phnom Penh (test text)"}});
  vn.WaitItem(q2, arrived);
  vn.Post("/v1/items/" + q2 + "/refuse", {{"reason", "ongoing_investigation"}});
  th2.WaitItem(r5, arrived);
  th2.Post("/v1/items/" + r5 + "/accept", json::object());
  th.WaitItem(r6, arrived);
  th.Post("/v1/items/" + r6 + "/acknowledge", json::object());
  // R4 is accepted only once its deadline has passed: answered late.
  vn.WaitItem(r4, [](const json& i) { return i.value("overdue", false); });
  vn.Post("/v1/items/" + r4 + "/accept", json::object());

  // clang-format off
  add({r1, "TH-ST-1", "KHM", "outgoing", "referral", "ForcedLabour", "Urgent", "accepted", "Reintegrated", "none", "met", "th-rtp-atpd", false, false, "ReferralAccepted"});
  add({r2, "TH-ST-2", "KHM", "outgoing", "referral", "SexualExploitation", "Routine", "declined", "none", "NotCompetent", "met", "th-rtp-atpd", false, false, "ReferralDeclined"});
  add({r3, "TH-ST-3", "VNM", "outgoing", "referral", "ForcedLabour", "LifeThreatening", "delivered", "none", "none", "missed", "th-rtp-atpd", true, false, ""});
  add({r4, "TH-ST-4", "VNM", "outgoing", "referral", "ForcedLabour", "Routine", "accepted", "none", "none", "missed", "th-rtp-atpd", false, true, "ReferralAccepted"});
  add({q1, "TH-ST-Q1", "KHM", "outgoing", "request", "none", "Urgent", "provided", "none", "none", "met", "th-rtp-atpd", false, false, "InformationProvided"});
  add({q2, "TH-ST-Q2", "VNM", "outgoing", "request", "none", "Routine", "refused", "none", "OngoingInvestigation", "met", "th-rtp-atpd", false, false, "InformationRefused"});
  add({q3, "TH-ST-Q3", "KHM", "outgoing", "request", "none", "Routine", "requested", "none", "none", "open", "th-rtp-atpd", false, false, ""});
  add({r5, "KH-ST-5", "KHM", "incoming", "referral", "ForcedMarriage", "Urgent", "accepted", "none", "none", "met", "th-msdhs", false, false, "ReferralAccepted"});
  add({r6, "VN-ST-6", "VNM", "incoming", "referral", "Other", "Routine", "acknowledged", "none", "none", "open", "th-rtp-atpd", false, false, ""});
  // clang-format on

  // Everything has reached the THA node; response times from the cases'
  // own event times (the item's first event, and the answer that ended the
  // wait).
  const std::string why = "?justification=Quarterly+ACTIP+report";
  for (auto& e : items) {
    json item = dpo.WaitItem(e.id, [&](const json& i) {
      bool closed_ok = e.outcome == "none" || !i.value("closed_by", json::array()).empty();
      return i.value("state", "") == e.state && closed_ok && i.value("overdue", false) == e.overdue_now;
    }, why);
    json view = dpo.Get("/v1/cases/" + e.case_id + why);
    for (const auto& ev : view["events"]) {
      if (ev.value("item_id", "") == e.id && ev.value("type", "") == e.answer_type && e.response_us < 0) {
        e.response_us = ev["created_at_us"].get<int64_t>() - item["created_at_us"].get<int64_t>();
      }
    }
    EXPECT_TRUE(e.answer_type.empty() || e.response_us >= 0) << e.id << " " << view.dump();
  }

  // The auditor sees every agency's items; every dimension, alone and combined.
  for (const auto& d : {"partner", "direction", "type", "exploitation", "priority", "state", "outcome", "reason",
                        "deadline", "agency"}) {
    auto [status, got] = dpo.Call("GET", "/v1/stats" + why + "&by=" + d);
    ASSERT_EQ(status, 200) << got.dump();
    ExpectReconciles(got, items, {d});
  }
  auto [status, got] = dpo.Call("GET", "/v1/stats" + why + "&from=1h&to=2h");
  EXPECT_EQ(status, 400) << "to (two hours ago) before from (one hour ago): " << got.dump();
  EXPECT_EQ(got["error"]["field"], "to");
  got = dpo.Get("/v1/stats" + why + "&by=partner,exploitation&from=1h");
  ExpectReconciles(got, items, {"partner", "exploitation"});
  got = dpo.Get("/v1/stats" + why + "&by=direction,type,deadline");
  ExpectReconciles(got, items, {"direction", "type", "deadline"});

  // A supervisor of th-rtp-atpd sees their agency's items only.
  std::vector<Expected> own;
  for (const auto& e : items) {
    if (e.agency == "th-rtp-atpd") own.push_back(e);
  }
  got = th.Get("/v1/stats?by=partner");
  EXPECT_EQ(got["agency"], "th-rtp-atpd");
  ExpectReconciles(got, own, {"partner"});

  // A period with none of them.
  got = dpo.Get("/v1/stats" + why + "&from=2020-01&to=2020-12");
  EXPECT_EQ(got["items"], 0);
  // Bad values: 400 naming the field; an auditor without a justification.
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"&by=colour", "by"}, {"&from=yesterday", "from"}, {"&to=2026-13", "to"}}) {
    auto [code, body] = dpo.Call("GET", "/v1/stats" + why + query);
    EXPECT_EQ(code, 400) << query;
    EXPECT_EQ(body["error"]["field"], field) << body.dump();
  }
  EXPECT_EQ(dpo.Call("GET", "/v1/stats").first, 400) << "an auditor needs a justification";
  auto [legacy_status, legacy] = kh.Call("GET", "/v1/statistics");
  EXPECT_EQ(legacy_status, 200) << "the console's route still answers: " << legacy.dump();
  EXPECT_EQ(legacy["items"], 5) << "kh-mosvy: R1, R2, Q1, Q3 received, R5 sent";
  EXPECT_EQ(legacy["by_partner"]["THA"], json({{"incoming", 4}, {"outgoing", 1}}));

  // The CLI: --json is the route's answer; the table and CSV carry the same numbers.
  std::string env = "LINTAS_TOKEN=" + th.token;
  CliRun j = Cli(env, "--node " + th.url + " stats --by partner,type --json");
  ASSERT_EQ(j.rc, 0) << j.out;
  ExpectReconciles(j.j, own, {"partner", "type"});
  CliRun csv = Cli(env, "--node " + th.url + " stats --by partner --csv");
  ASSERT_EQ(csv.rc, 0) << csv.out;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\r')),
            "partner,items,met,missed,open,not_applicable,overdue_now,answered_late,answered,p50_response,p90_response");
  size_t khm_items = 0;
  for (const auto& e : own) khm_items += e.partner == "KHM";
  EXPECT_NE(csv.out.find("\r\nKHM," + std::to_string(khm_items) + ","), std::string::npos) << csv.out;
  CliRun table = Cli(env, "--node " + th.url + " stats --by deadline");
  ASSERT_EQ(table.rc, 0) << table.out;
  EXPECT_NE(table.out.find("TOTAL"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("missed"), std::string::npos) << table.out;
  CliRun plain = Cli(env, "--node " + th.url + " stats --csv");
  ASSERT_EQ(plain.rc, 0) << plain.out;
  EXPECT_NE(plain.out.find("\r\ntotal," + std::to_string(own.size()) + ","), std::string::npos) << plain.out;
  CliRun bad = Cli(env, "--node " + th.url + " stats --by colour");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  EXPECT_NE(bad.out.find("by"), std::string::npos) << bad.out;
}

// Events published with known envelopes; the broker's table, cell by cell.
TEST_F(StatsTest, BrokerSuppressesSmallCellsAndTotalsThatWouldRevealThem) {
  struct Flow {
    std::string node, origin, agency, destination;
    fb::Priority priority;
    int count;
  };
  const std::vector<Flow> flows{
      {"th-node", "THA", "th-rtp-atpd", "KHM", fb::Priority::Urgent, 7},
      {"th-node", "THA", "th-rtp-atpd", "VNM", fb::Priority::Routine, 3},
      {"kh-node", "KHM", "kh-mosvy", "THA", fb::Priority::Routine, 6},
      {"kh-node", "KHM", "kh-mosvy", "VNM", fb::Priority::Routine, 5},
      {"vn-node", "VNM", "vn-mps-cpd", "THA", fb::Priority::LifeThreatening, 1},
  };
  const std::map<std::string, std::string> kAgencyOf{
      {"THA", "th-rtp-atpd"}, {"KHM", "kh-mosvy"}, {"VNM", "vn-mps-cpd"}};
  zmq::context_t ctx;
  wire::EventIdGenerator ids;
  std::map<std::pair<std::string, std::string>, int> od;
  for (const auto& f : flows) {
    node::BrokerClient client(ctx, testutil::NodeOptions(broker_->endpoint(), f.node));
    ASSERT_TRUE(client.Connect().ok());
    std::vector<std::string> events;
    for (int i = 0; i < f.count; ++i) {
      fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids.Next(), NowMicros());
      e.origin->country = f.origin;
      e.origin->agency = f.agency;
      e.destinations.clear();
      auto d = std::make_unique<fb::DestinationT>();
      d->country = f.destination;
      d->agency = kAgencyOf.at(f.destination);
      e.destinations.push_back(std::move(d));
      e.priority = f.priority;
      e.case_id = "ST-" + f.origin + "-" + std::to_string(i);
      events.push_back(testutil::PackEvent(e));
    }
    for (const auto& o : testutil::PublishAndWait(client, events, 30s)) ASSERT_TRUE(o.acked) << o.message;
    od[{f.origin, f.destination}] += f.count;
  }
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char month[8];
  std::strftime(month, sizeof(month), "%Y-%m", &tm);
  // From the month before, in case the month turns during the test.
  std::string from = tm.tm_mon == 0 ? std::to_string(tm.tm_year + 1900 - 1) + "-12"
                                    : std::to_string(tm.tm_year + 1900) + "-" + (tm.tm_mon < 10 ? "0" : "") +
                                          std::to_string(tm.tm_mon);
  std::string config = AuditorConfig();
  CliRun r = Cli("", "audit stats --config " + config + " --justification 'Steering committee' --from " + from +
                      " --to " + month + " --by origin,destination --json");
  ASSERT_EQ(r.rc, 0) << r.out;
  const json& cells = r.j["cells"];
  EXPECT_EQ(r.j["threshold"], 5);
  // Cells: exactly the flows, those below 5 as suppressed with no number.
  std::map<std::pair<std::string, std::string>, json> got;
  std::map<std::string, std::pair<int, bool>> by_origin, by_destination;  // sum, any small
  int grand = 0;
  bool grand_small = false;
  for (const auto& [key, n] : od) {
    auto& o = by_origin[key.first];
    auto& d = by_destination[key.second];
    o.first += n;
    d.first += n;
    grand += n;
    o.second = o.second || n < 5;
    d.second = d.second || n < 5;
    grand_small = grand_small || n < 5;
  }
  size_t totals = 0;
  for (const auto& c : cells) {
    std::string o = c["origin"].is_null() ? "" : c["origin"].get<std::string>();
    std::string d = c["destination"].is_null() ? "" : c["destination"].get<std::string>();
    bool suppressed = c["suppressed"].get<bool>();
    if (!c["total"].get<bool>()) {
      ASSERT_TRUE(od.count({o, d})) << c.dump();
      int n = od.at({o, d});
      EXPECT_EQ(suppressed, n < 5) << c.dump();
      EXPECT_EQ(c["count"], suppressed ? json(nullptr) : json(n)) << c.dump();
      got[{o, d}] = c;
      continue;
    }
    ++totals;
    std::pair<int, bool> want = !o.empty() ? by_origin.at(o) : !d.empty() ? by_destination.at(d)
                                                                           : std::make_pair(grand, grand_small);
    EXPECT_EQ(suppressed, want.second) << "a total that includes a small cell is withheld: " << c.dump();
    EXPECT_EQ(c["count"], want.second ? json(nullptr) : json(want.first)) << c.dump();
  }
  EXPECT_EQ(got.size(), od.size());
  EXPECT_EQ(totals, by_origin.size() + by_destination.size() + 1);
  // The table and CSV show "<5", never the small number.
  CliRun csv = Cli("", "audit stats --config " + config + " --justification 'Steering committee' --from " + from +
                        " --to " + month + " --by origin,destination --csv");
  ASSERT_EQ(csv.rc, 0) << csv.out;
  EXPECT_NE(csv.out.find("THA,VNM,<5,cell"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("VNM,THA,<5,cell"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("KHM,VNM,5,cell"), std::string::npos) << csv.out;
  EXPECT_EQ(csv.out.find(",3,"), std::string::npos) << csv.out;
  CliRun table = Cli("", "audit stats --config " + config + " --justification 'Steering committee' --from " + from +
                          " --to " + month + " --by priority");
  ASSERT_EQ(table.rc, 0) << table.out;
  size_t line = table.out.find("\nLifeThreatening");
  ASSERT_NE(line, std::string::npos) << table.out;
  std::string row = table.out.substr(line + 1, table.out.find('\n', line + 1) - line - 1);
  EXPECT_EQ(row.substr(row.size() - 2), "<5") << table.out;
  // Each statistics query is in the broker's consultation log, with its justification.
  node::BrokerClient auditor(ctx, testutil::NodeOptions(broker_->endpoint(), "audit-node"));
  ASSERT_TRUE(auditor.Connect().ok());
  node::AuditClient client(&auditor);
  auto access = client.Access("", "Checking the statistics queries");
  ASSERT_TRUE(access.ok()) << access.error().message;
  int stats_reads = 0;
  EXPECT_TRUE(access->problems.empty());
  for (const auto& proof : access->records) {
    json rec = node::AccessRecordJson(proof.record);
    if (rec.value("action", "") == "StatsRead") {
      ++stats_reads;
      EXPECT_EQ(rec["justification"], "Steering committee");
    }
  }
  EXPECT_EQ(stats_reads, 3);
  // Without the audit permission: refused.
  node::BrokerClient th(ctx, testutil::NodeOptions(broker_->endpoint(), "th-node"));
  ASSERT_TRUE(th.Connect().ok());
  node::AuditClient not_auditor(&th);
  auto refused = not_auditor.Stats("origin", 202601, 202612, "curious");
  EXPECT_FALSE(refused.ok());
}

}  // namespace
}  // namespace lintas
