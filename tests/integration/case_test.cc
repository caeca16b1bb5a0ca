// Cases end to end, as officers work them: a real broker, real country nodes
// (in-process, with the agency directory so that roles resolve), and every
// officer action through the `lintas` CLI binary, each officer logged in with
// their own config directory. Scenarios 1-4 of SCENARIOS.md, authentication
// and authorisation at the node's API, and the node's consultation log with
// a tampered entry. All waits poll with a deadline.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/config.h"
#include "lintas/node/node.h"
#include "lintas/store/store.h"
#include "lintas/wire/event_id.h"
#include "testutil/broker_harness.h"
#include "testutil/temp_dir.h"

extern char** environ;

namespace lintas {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kCli = std::string(LINTAS_BINARY_DIR) + "/nodes/lintas";
const std::string kDirectory = std::string(LINTAS_SOURCE_DIR) + "/ops/directory/agencies.csv";
constexpr int64_t kDayUs = 86400LL * 1000000;

// The test nodes (broker_harness's), with the agencies each serves.
struct NodeSpec {
  std::string country;
  std::vector<std::string> agencies;  // the first is the default agency
};
const std::map<std::string, NodeSpec> kNodeSpecs = {
    {"th-node", {"THA", {"th-rtp-atpd", "th-msdhs"}}},
    {"kh-node", {"KHM", {"kh-mosvy", "kh-ahtjp"}}},
    {"vn-node", {"VNM", {"vn-mps-cpd", "vn-molisa"}}},
    {"la-node", {"LAO", {"la-mps-aht"}}},
    {"id-node", {"IDN", {"id-polri-bareskrim"}}},
    {"ph-node", {"PHL", {"ph-dswd", "ph-pnp-wcpc"}}},
    {"my-node", {"MYS", {"my-mapo"}}},
};

// Polls `done` until it holds or `timeout` passes.
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
  std::string err;
  json j;  // stdout as JSON (discarded when it is not)
};

std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "rc=" << r.rc << " stdout=" << r.out << " stderr=" << r.err;
}

// Runs the lintas binary with `args`, LINTAS_CONFIG_DIR=`config_dir` (and no
// other LINTAS_ variable from the environment), `input` on stdin.
CliRun RunCli(const std::string& config_dir, const std::vector<std::string>& args,
              const std::string& input = "") {
  // Everything the child needs is built before fork (the test has threads).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LINTAS_", 7) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("LINTAS_CONFIG_DIR=" + config_dir);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{kCli};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int in[2], out[2], err[2];
  CliRun r;
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return r;
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    return r;
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) {
      close(f.fd);
      kill(pid, SIGKILL);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.j = json::parse(r.out, nullptr, false);
  return r;
}

struct HttpReply {
  int status = 0;
  json body;
  std::string www_authenticate;
  std::string retry_after;
};

// Plain HTTP to a node's API, with or without a bearer token (curl-like).
HttpReply Http(const std::string& url, const std::string& method, const std::string& path,
               const std::string& token = "", const std::string& body = "") {
  httplib::Client c(url);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result res =
      method == "GET" ? c.Get(path, headers) : c.Post(path, headers, body, "application/json");
  HttpReply r;
  if (!res) return r;
  r.status = res->status;
  r.body = json::parse(res->body, nullptr, false);
  r.www_authenticate = res->get_header_value("WWW-Authenticate");
  r.retry_after = res->get_header_value("Retry-After");
  return r;
}

std::string Password(const std::string& user) { return "pw-" + user + "-not-guessable"; }

class CaseTest;

// A person with an account on one node, working through the CLI with their
// own config directory (where `lintas login` keeps the token).
class Officer {
 public:
  Officer(CaseTest* t, std::string id, std::string node, std::string agency, std::string home)
      : t_(t),
        id_(std::move(id)),
        node_(std::move(node)),
        agency_(std::move(agency)),
        home_(std::move(home)) {}

  // `lintas --node URL --json ARGS...`
  CliRun Run(std::vector<std::string> args, const std::string& input = "") const;
  // Logs in through the CLI (again, after the node moved to a new port).
  void Login() const {
    CliRun r = Run({"login", "--user", id_, "--password-stdin"}, Password(id_) + "\n");
    ASSERT_EQ(r.rc, 0) << r;
    ASSERT_EQ(r.j["user"]["id"], id_) << r;
  }
  // A session token of its own, for raw HTTP.
  std::string Token() const;
  // `case show CASE --json`, or null when it fails (not found, ...).
  json Show(const std::string& case_id) const {
    CliRun r = Run({"case", "show", case_id});
    return r.rc == 0 ? r.j : json();
  }
  // Polls `case show` until `done` holds for the view; returns the last view.
  json WaitFor(const std::string& case_id, const std::function<bool(const json&)>& done,
               std::chrono::milliseconds timeout = 20s) const {
    json view;
    bool ok = Eventually(
        [&] {
          view = Show(case_id);
          return !view.is_null() && done(view);
        },
        timeout);
    EXPECT_TRUE(ok) << id_ << " never saw the expected view of " << case_id << ": " << view.dump();
    return view;
  }

  const std::string& id() const { return id_; }
  const std::string& agency() const { return agency_; }
  std::string Url() const;

 private:
  CaseTest* t_;
  std::string id_;
  std::string node_;
  std::string agency_;
  std::string home_;
};

class CaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigureLogging("warn", false);
    broker_ = std::make_unique<testutil::InProcessBroker>(
        testutil::TestConfig(dir_.Sub("broker-data"), "ipc://" + dir_.Sub("broker.sock")));
  }

  std::string NodeToml(const std::string& id) const {
    const NodeSpec& spec = kNodeSpecs.at(id);
    std::string agencies;
    for (const auto& a : spec.agencies) agencies += (agencies.empty() ? "\"" : ", \"") + a + "\"";
    return "[node]\nid = \"" + id + "\"\ncountry = \"" + spec.country + "\"\nagencies = [" +
           agencies + "]\ndefault_agency = \"" + spec.agencies[0] + "\"\ndirectory = \"" +
           kDirectory + "\"\ndata_dir = \"" + dir_.Sub(id) +
           "\"\napi_port = 0\nlog_level = \"warn\"\n[broker]\nendpoint = \"ipc://" +
           dir_.Sub("broker.sock") +
           "\"\nretry_initial_ms = 20\nretry_max_ms = 200\n[security]\nmode = \"plaintext\"\n";
  }

  // Starts (or restarts, on its data) an in-process node on a free port.
  node::Node& StartNode(const std::string& id) {
    // ParseNodeConfig reads the directory, so that a role resolves to the
    // local agency that has it (KHM/social_welfare -> kh-mosvy).
    node::NodeConfig config = node::ParseNodeConfig(NodeToml(id), "/");
    auto n = std::make_unique<node::Node>(std::move(config));
    urls_[id] = "http://127.0.0.1:" + std::to_string(n->Start());
    nodes_[id] = std::move(n);
    return *nodes_[id];
  }
  void StopNode(const std::string& id) { nodes_.at(id).reset(); }
  node::Node& NodeOf(const std::string& id) { return *nodes_.at(id); }

  // An account on `node_id` (made by the node's administrator, here through
  // the AccountStore), logged in through the CLI.
  Officer AddOfficer(const std::string& node_id, const std::string& user, const std::string& agency,
                     std::vector<std::string> roles) {
    node::User u;
    u.id = user;
    u.agency = agency;
    u.roles = std::move(roles);
    auto s = NodeOf(node_id).accounts().AddUser(u, Password(user), NowMicros());
    EXPECT_TRUE(s.ok()) << s.error().message;
    Officer o(this, user, node_id, agency, dir_.Sub("home/" + user));
    o.Login();
    return o;
  }

  // Replaces the broker (before any node starts) by one that enforces
  // `policy` (a [policy] table and its rules) over the same directory.
  void UsePolicy(const std::string& policy) {
    broker_.reset();
    broker_ = std::make_unique<testutil::InProcessBroker>(broker::ParseConfig(
        testutil::TestConfigToml(dir_.Sub("broker-data"), "ipc://" + dir_.Sub("broker.sock")) +
            policy,
        "/"));
  }

  std::string Url(const std::string& node_id) const { return urls_.at(node_id); }
  store::Store& BrokerLog() { return broker_->broker().store(); }

  friend class Officer;

  testutil::TempDir dir_;
  std::unique_ptr<testutil::InProcessBroker> broker_;
  std::map<std::string, std::unique_ptr<node::Node>> nodes_;
  std::map<std::string, std::string> urls_;
};

std::string Officer::Url() const { return t_->urls_.at(node_); }

CliRun Officer::Run(std::vector<std::string> args, const std::string& input) const {
  args.insert(args.begin(), {"--node", Url(), "--json"});
  return RunCli(home_, args, input);
}

std::string Officer::Token() const {
  json body{{"user", id_}, {"password", Password(id_)}};
  HttpReply r = Http(Url(), "POST", "/v1/login", "", body.dump());
  EXPECT_EQ(r.status, 200) << r.body.dump();
  return r.body.value("token", "");
}

json ItemById(const json& view, const std::string& item_id) {
  for (const auto& item : view["items"]) {
    if (item.value("item_id", "") == item_id) return item;
  }
  return json();
}

// "2026-12-09T10:00+07:00" for `at_us` (to the minute), and that instant.
std::pair<std::string, int64_t> VientianeTime(int64_t at_us) {
  std::time_t t = static_cast<std::time_t>(at_us / 1000000 / 60 * 60);
  std::time_t local = t + 7 * 3600;
  std::tm tm{};
  gmtime_r(&local, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M+07:00", &tm);
  return {buf, static_cast<int64_t>(t) * 1000000};
}

// ---------------------------------------------------------------------------
// Scenario 1: return and reintegration of a presumed victim (THA -> KHM).

struct ThreadStep {
  std::string type;
  std::string officer;  // empty for automatic events (delivery receipts)
};

TEST_F(CaseTest, Scenario1ReturnAndReintegrationThaToKhmEveryStepOnBothNodes) {
  StartNode("th-node");
  StartNode("kh-node");
  Officer th = AddOfficer("th-node", "officer-th-0001", "th-rtp-atpd", {"officer"});
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer", "supervisor"});
  const std::string kCase = "TH-2026-0192";
  std::vector<ThreadStep> thread;
  json references = json::object();

  // After every step: the item's state on both nodes (the remote one polled),
  // the whole thread with who did what, both references, the case still open
  // unless `closed`.
  auto expect_both = [&](const std::string& th_state, const std::string& kh_state,
                         bool closed = false) {
    for (const Officer* o : {&th, &kh}) {
      const std::string& state = o == &th ? th_state : kh_state;
      json view = o->WaitFor(kCase, [&](const json& v) {
        return v["items"].size() == 1 && v["items"][0]["state"] == state &&
               v["events"].size() == thread.size();
      });
      SCOPED_TRACE(o->id() + " sees " + view.dump());
      ASSERT_EQ(view["items"].size(), 1u);
      EXPECT_EQ(view["items"][0]["state"], state);
      EXPECT_EQ(view["case_id"], kCase);
      EXPECT_EQ(view["references"], references);
      ASSERT_EQ(view["events"].size(), thread.size());
      for (size_t i = 0; i < thread.size(); ++i) {
        EXPECT_EQ(view["events"][i]["type"], thread[i].type) << i;
        EXPECT_EQ(view["events"][i]["officer"], thread[i].officer) << i << " " << thread[i].type;
        EXPECT_EQ(view["events"][i]["item_id"], view["items"][0]["item_id"]);
      }
      EXPECT_EQ(view["state"], closed ? "closed" : "open");
    }
  };

  // clang-format off
  CliRun sent = th.Run({"referral", "new", "--to", "KHM/social_welfare", "--case", kCase,
                        "--reference", "TH-RTP-2026-0192", "--victim", "V-TH-0192",
                        "--sex", "male", "--age", "17", "--minor", "--guardian", "G-TH-0192-1",
                        "--nationality", "KHM", "--speaks", "km",
                        "--consent", "identity", "return_logistics",
                        "--exploitation", "forced_labour",
                        "--summary", "Presumed victim of forced labour on a fishing vessel",
                        "--priority", "urgent", "--due", "3d", "--handling", "H1"});
  // clang-format on
  ASSERT_EQ(sent.rc, 0) << sent;
  EXPECT_EQ(sent.j["status"], "queued");
  const std::string item = sent.j["id"];
  CliRun status = th.Run({"status", item, "--wait", "20"});
  ASSERT_EQ(status.rc, 0) << status;
  EXPECT_EQ(status.j["status"], "acknowledged");
  EXPECT_GT(status.j["offset"].get<uint64_t>(), 0u);
  references["THA"] = "TH-RTP-2026-0192";
  thread.push_back({"ReferralCreated", "officer-th-0001"});
  thread.push_back({"DeliveryReceipt", ""});  // sent by the KHM node itself, not a person
  expect_both("delivered", "received");
  {
    json kh_view = kh.Show(kCase);
    const json& in = kh_view["items"][0];
    EXPECT_EQ(in["item_id"], item);
    EXPECT_EQ(in["local_agency"], "kh-mosvy") << "KHM/social_welfare resolves to kh-mosvy";
    EXPECT_EQ(in["priority"], "Urgent");
    EXPECT_EQ(in["handling"], "H1");
    EXPECT_EQ(in["victim"], "V-TH-0192");
    EXPECT_TRUE(in["minor"].get<bool>());
    EXPECT_EQ(in["consent"], json({"Identity", "ReturnLogistics"}));
    json th_view = th.Show(kCase);
    EXPECT_EQ(th_view["items"][0]["counterpart"]["agency"], "kh-mosvy")
        << "the role is bound to who answered";
    std::set<std::string> parties;
    for (const auto& p : th_view["parties"]) parties.insert(p.value("agency", ""));
    EXPECT_EQ(parties, (std::set<std::string>{"th-rtp-atpd", "kh-mosvy"}));
  }

  CliRun ack = kh.Run({"referral", "ack", kCase, "--reference", "KH-MOSVY-2026-0077", "--note",
                       "Case officer assigned; family tracing started"});
  ASSERT_EQ(ack.rc, 0) << ack;
  references["KHM"] = "KH-MOSVY-2026-0077";
  thread.push_back({"ReferralAcknowledged", "officer-kh-0007"});
  expect_both("acknowledged", "acknowledged");
  EXPECT_EQ(th.Show(kCase)["items"][0]["acks"][0]["officer"], "officer-kh-0007");

  ASSERT_EQ(kh.Run({"referral", "accept", kCase, "--note", "Reception and return arranged"}).rc, 0);
  thread.push_back({"ReferralAccepted", "officer-kh-0007"});
  expect_both("accepted", "accepted");

  const std::string kCheckpoint = "Aranyaprathet-Poipet border checkpoint";
  CliRun plan = kh.Run({"referral", "plan-return", kCase, "--checkpoint", kCheckpoint, "--on",
                        "2026-12-09T10:00+07:00"});
  ASSERT_EQ(plan.rc, 0) << plan;
  thread.push_back({"ReturnPlanned", "officer-kh-0007"});
  expect_both("return_planned", "return_planned");
  for (const Officer* o : {&th, &kh}) {
    json r = o->Show(kCase)["items"][0]["return"];
    EXPECT_EQ(r["checkpoint"], kCheckpoint);
    EXPECT_EQ(r["planned_at_us"], int64_t{1796785200} * 1000000) << "2026-12-09T03:00Z";
  }

  ASSERT_EQ(kh.Run({"referral", "returned", kCase, "--checkpoint", kCheckpoint}).rc, 0);
  thread.push_back({"ReturnExecuted", "officer-kh-0007"});
  expect_both("returned", "returned");

  // One side closes: the referral stays open until the other does too.
  ASSERT_EQ(kh.Run({"referral", "close", kCase, "--outcome", "reintegrated", "--note",
                    "Reunified with family in Battambang; monthly follow-up visits"})
                .rc,
            0);
  thread.push_back({"ReferralClosed", "officer-kh-0007"});
  expect_both("returned", "returned");
  EXPECT_EQ(th.Show(kCase)["items"][0]["closed_by"].size(), 1u);

  ASSERT_EQ(th.Run({"referral", "close", kCase, "--outcome", "returned", "--note",
                    "Returned and received"})
                .rc,
            0);
  thread.push_back({"ReferralClosed", "officer-th-0001"});
  expect_both("closed", "closed", /*closed=*/true);
  for (const Officer* o : {&th, &kh}) {
    json view = o->Show(kCase);
    std::map<std::string, std::string> closed_by;
    for (const auto& c : view["items"][0]["closed_by"])
      closed_by[c.value("agency", "")] = c.value("outcome", "");
    EXPECT_EQ(closed_by, (std::map<std::string, std::string>{{"kh-mosvy", "Reintegrated"},
                                                             {"th-rtp-atpd", "Returned"}}))
        << o->id();
    // The closed case is listed as closed.
    CliRun list = o->Run({"case", "list", "--state", "closed"});
    ASSERT_EQ(list.rc, 0) << list;
    ASSERT_EQ(list.j["cases"].size(), 1u);
    EXPECT_EQ(list.j["cases"][0]["case_id"], kCase);
  }
  // Closed: no further step.
  CliRun late =
      kh.Run({"referral", "plan-return", item, "--checkpoint", kCheckpoint, "--on", "2026-12-10"});
  EXPECT_EQ(late.rc, 2) << late;
}

// ---------------------------------------------------------------------------
// Scenario 2: scam-compound rescue, an alert and three referrals of one case.

TEST_F(CaseTest,
       Scenario2AlertAndThreeReferralsEachReachOnlyItsAddresseeOneDeclinedAndReaddressed) {
  for (const char* id : {"th-node", "vn-node", "id-node", "ph-node", "kh-node"}) StartNode(id);
  Officer focal = AddOfficer("th-node", "fp-th-0001", "th-msdhs", {"officer"});
  Officer vn = AddOfficer("vn-node", "officer-vn-0003", "vn-mps-cpd", {"officer", "supervisor"});
  Officer idn =
      AddOfficer("id-node", "officer-id-0011", "id-polri-bareskrim", {"officer", "supervisor"});
  Officer ph = AddOfficer("ph-node", "officer-ph-0021", "ph-dswd", {"officer", "supervisor"});
  Officer ph_police = AddOfficer("ph-node", "officer-ph-0022", "ph-pnp-wcpc", {"officer"});
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer", "supervisor"});
  // Subscriptions are the node's: supervisors make them.
  for (const Officer* o : {&vn, &idn, &ph, &kh}) {
    CliRun sub = o->Run({"subscribe", "compound-alerts", "--category", "forced_criminality"});
    ASSERT_EQ(sub.rc, 0) << sub;
  }

  CliRun alert = focal.Run({"alert", "publish", "--category", "forced_criminality", "--countries",
                            "VNM", "IDN", "PHL", "--title",
                            "Scam compound: about forty people of several nationalities held",
                            "--priority", "life-threatening", "--expires", "72h"});
  ASSERT_EQ(alert.rc, 0) << alert;
  const std::string alert_id = alert.j["id"];
  const std::string kCase = "TH-2026-0400";
  struct Addressee {
    const Officer* officer;
    std::string to;
    std::string local_agency;
    std::string victim;
  };
  const std::vector<Addressee> addressees = {
      {&vn, "VNM/police", "vn-mps-cpd", "V-TH-0401"},
      {&idn, "IDN/police", "id-polri-bareskrim", "V-TH-0402"},
      {&ph, "PHL/social_welfare", "ph-dswd", "V-TH-0403"}};
  std::map<std::string, std::string> item_of;  // addressed_to -> item id
  for (const auto& a : addressees) {
    // clang-format off
    CliRun r = focal.Run({"referral", "new", "--to", a.to, "--case", kCase,
                          "--reference", "TH-MSDHS-2026-0400", "--victim", a.victim,
                          "--nationality", a.to.substr(0, 3),
                          "--consent", "identity", "return_logistics",
                          "--exploitation", "forced_criminality",
                          "--priority", "life-threatening", "--due", "8h"});
    // clang-format on
    ASSERT_EQ(r.rc, 0) << r;
    item_of[a.to] = r.j["id"];
  }

  // Each addressee has the case with its own referral only, due in 8 hours.
  const int64_t now = NowMicros();
  for (const auto& a : addressees) {
    json view = a.officer->WaitFor(kCase, [](const json& v) { return !v["items"].empty(); });
    SCOPED_TRACE(a.to + ": " + view.dump());
    ASSERT_EQ(view["items"].size(), 1u);
    const json& item = view["items"][0];
    EXPECT_EQ(item["item_id"], item_of[a.to]);
    EXPECT_EQ(item["addressed_to"], a.to);
    EXPECT_EQ(item["local_agency"], a.local_agency);
    EXPECT_EQ(item["victim"], a.victim);
    EXPECT_EQ(item["priority"], "LifeThreatening");
    EXPECT_NEAR(static_cast<double>(item["due_us"].get<int64_t>() - now), 8.0 * 3600 * 1e6, 120e6);
    // The alert reached it too (subscribed, one of the selected countries).
    ASSERT_TRUE(Eventually([&] {
      CliRun list = a.officer->Run({"alert", "list"});
      for (const auto& al : list.j.value("alerts", json::array())) {
        if (al.value("item_id", "") == alert_id) {
          return al["state"] == "active" && al["priority"] == "LifeThreatening" &&
                 al["countries"] == json({"VNM", "IDN", "PHL"});
        }
      }
      return false;
    })) << a.to;
  }
  // The sender has one case with the three items.
  json sent = focal.WaitFor(kCase, [](const json& v) {
    for (const auto& i : v["items"]) {
      if (i["state"] != "delivered") return false;
    }
    return v["items"].size() == 3;
  });
  EXPECT_EQ(sent["items"].size(), 3u);
  // Another agency subscribed to the category, in a country the alert does
  // not target, gets neither the referrals nor the alert: it has no such
  // case, and a regional alert published after the first one reaches it
  // alone (deliveries of a subscription keep the log's order).
  EXPECT_EQ(kh.Run({"case", "show", kCase}).rc, 4);
  CliRun regional =
      focal.Run({"alert", "publish", "--category", "forced_criminality", "--title",
                 "Scam compound: recruiters active region-wide", "--priority", "urgent"});
  ASSERT_EQ(regional.rc, 0) << regional;
  ASSERT_TRUE(Eventually([&] {
    CliRun list = kh.Run({"alert", "list"});
    return list.rc == 0 && list.j["alerts"].size() == 1 &&
           list.j["alerts"][0]["item_id"] == regional.j["id"];
  }));
  CliRun kh_inbox = kh.Run({"inbox"});
  ASSERT_EQ(kh_inbox.rc, 0) << kh_inbox;
  for (const auto& e : kh_inbox.j["events"]) {
    EXPECT_NE(e["event"]["body_type"], "ReferralCreated");
    EXPECT_NE(e["event"]["id"], alert_id);
  }

  // The Philippine social-welfare department declines: not competent.
  CliRun declined =
      ph.Run({"referral", "decline", kCase, "--reason", "not_competent", "--note",
              "An adult victim of forced criminality: for the police", "--suggest", "PHL/police"});
  ASSERT_EQ(declined.rc, 0) << declined;
  const std::string ph_item = item_of["PHL/social_welfare"];
  for (const Officer* o : {&focal, &ph}) {
    json view = o->WaitFor(kCase, [&](const json& v) {
      return ItemById(v, ph_item).value("state", "") == "declined";
    });
    json item = ItemById(view, ph_item);
    EXPECT_EQ(item["decline"]["reason"], "NotCompetent") << o->id();
    EXPECT_EQ(item["decline"]["note"], "An adult victim of forced criminality: for the police");
    EXPECT_EQ(item["decline"]["by"], "officer-ph-0021");
  }
  // ... and the focal point re-addresses it to the police: a new item in the
  // same case, linked to the declined one.
  CliRun again = focal.Run({"referral",       "new",
                            "--to",           "PHL/ph-pnp-wcpc",
                            "--case",         kCase,
                            "--readdresses",  ph_item,
                            "--victim",       "V-TH-0403",
                            "--nationality",  "PHL",
                            "--consent",      "identity",
                            "--exploitation", "forced_criminality",
                            "--priority",     "life-threatening",
                            "--due",          "8h"});
  ASSERT_EQ(again.rc, 0) << again;
  const std::string new_item = again.j["id"];
  json view = focal.WaitFor(kCase, [&](const json& v) {
    return ItemById(v, new_item).value("state", "") == "delivered";
  });
  ASSERT_EQ(view["items"].size(), 4u);
  EXPECT_EQ(ItemById(view, new_item)["readdresses"], ph_item);
  EXPECT_EQ(ItemById(view, new_item)["counterpart"]["agency"], "ph-pnp-wcpc");
  EXPECT_EQ(ItemById(view, ph_item)["state"], "declined");
  // The police officer sees it and accepts it; the sender sees that.
  json ph_view =
      ph_police.WaitFor(kCase, [&](const json& v) { return !ItemById(v, new_item).is_null(); });
  EXPECT_EQ(ItemById(ph_view, new_item)["local_agency"], "ph-pnp-wcpc");
  EXPECT_EQ(ItemById(ph_view, new_item)["readdresses"], ph_item);
  ASSERT_EQ(ph_police.Run({"referral", "accept", new_item}).rc, 0);
  focal.WaitFor(
      kCase, [&](const json& v) { return ItemById(v, new_item).value("state", "") == "accepted"; });
  // The other addressees still have only their own item.
  for (const Officer* o : {&vn, &idn}) EXPECT_EQ(o->Show(kCase)["items"].size(), 1u) << o->id();
}

// ---------------------------------------------------------------------------
// Scenario 3: an H2 information request (VNM -> LAO) with a delay notice, a
// late answer, and a refused onward transfer.

TEST_F(CaseTest, Scenario3RequestWithDelayThenProvidedLateAnswerKeptAndOnwardTransferRefused) {
  StartNode("vn-node");
  StartNode("la-node");
  Officer vn = AddOfficer("vn-node", "officer-vn-0003", "vn-mps-cpd", {"officer", "supervisor"});
  Officer la = AddOfficer("la-node", "officer-la-0002", "la-mps-aht", {"officer", "supervisor"});
  const std::string kCase = "VN-2026-0044";
  CliRun req = vn.Run({"request",       "new",
                       "--to",          "LAO/police",
                       "--case",        kCase,
                       "--reference",   "VN-C03-2026-0044",
                       "--subject",     "R-0044",
                       "--question",    "Known addresses",
                       "--question",    "Vehicles used",
                       "--legal-basis", "Bilateral agreement, art. 5",
                       "--priority",    "routine",
                       "--due",         "7d",
                       "--handling",    "H2"});
  ASSERT_EQ(req.rc, 0) << req;
  const std::string item = req.j["id"];
  json la_view = la.WaitFor(kCase, [](const json& v) { return v["items"].size() == 1; });
  EXPECT_EQ(la_view["items"][0]["state"], "requested");
  EXPECT_EQ(la_view["items"][0]["kind"], "request");
  EXPECT_EQ(la_view["items"][0]["handling"], "H2");
  EXPECT_EQ(la_view["items"][0]["subject"], "R-0044");
  EXPECT_EQ(la_view["items"][0]["local_agency"], "la-mps-aht");

  // A delay notice with a reason and a new date.
  auto [until_text, until_us] = VientianeTime(NowMicros() + 10 * kDayUs);
  CliRun delay = la.Run({"request", "delay", kCase, "--reason",
                         "Records held at a provincial office", "--until", until_text});
  ASSERT_EQ(delay.rc, 0) << delay;
  for (const Officer* o : {&la, &vn}) {
    json v = o->WaitFor(kCase, [](const json& x) { return x["items"][0]["state"] == "delayed"; });
    const json& i = v["items"][0];
    EXPECT_EQ(i["due_us"], until_us) << o->id() << " " << until_text;
    EXPECT_EQ(i["delay"]["reason"], "Records held at a provincial office");
    EXPECT_EQ(i["delay"]["new_due_us"], until_us);
    EXPECT_TRUE(i["awaiting_answer"].get<bool>());
    EXPECT_FALSE(i["overdue"].get<bool>());
  }
  CliRun provided = la.Run(
      {"request", "provide", kCase, "--content", "Two addresses on record in Bokeo province"});
  ASSERT_EQ(provided.rc, 0) << provided;
  const std::string answer_id = provided.j["id"];
  for (const Officer* o : {&la, &vn}) {
    json v = o->WaitFor(kCase, [](const json& x) { return x["items"][0]["state"] == "provided"; });
    EXPECT_FALSE(v["items"][0]["awaiting_answer"].get<bool>()) << o->id();
    EXPECT_EQ(v["references"]["VNM"], "VN-C03-2026-0044");
    ASSERT_EQ(v["events"].size(), 3u);
    EXPECT_EQ(v["events"][1]["type"], "InformationDelayed");
    EXPECT_EQ(v["events"][1]["officer"], "officer-la-0002");
    EXPECT_EQ(v["events"][2]["type"], "InformationProvided");
    EXPECT_EQ(v["events"][2]["id"], answer_id);
    EXPECT_EQ(v["events"][2]["handling"], "H2") << o->id();
  }
  // Laos named no handling code: its answer carries the request's H2 into
  // the broker's log (issue 13: it was stored as H0).
  auto answer_event = wire::EventId::Parse(answer_id);
  ASSERT_TRUE(answer_event.ok());
  std::optional<uint64_t> answer_offset;
  ASSERT_TRUE(Eventually([&] {
    auto found = BrokerLog().FindEvent(*answer_event);
    if (found.ok() && found->has_value()) answer_offset = **found;
    return answer_offset.has_value();
  }));
  auto answer_record = BrokerLog().ReadRecord(*answer_offset);
  ASSERT_TRUE(answer_record.ok() && answer_record->has_value());
  EXPECT_EQ(testutil::RecordEvent(**answer_record)->handling(), fb::HandlingCode::H2);
  // A raw answer weaker than the request is refused at Laos's node, naming the field.
  json weaker{{"destinations", {{{"country", "VNM"}, {"agency", "vn-mps-cpd"}}}},
              {"case_id", kCase},
              {"parent_id", item},
              {"handling", "H0"},
              {"body_type", "SpontaneousInformation"},
              {"body", {{"content", "Two addresses in Bokeo province (weaker)"}}}};
  HttpReply weaker_reply = Http(la.Url(), "POST", "/v1/events", la.Token(), weaker.dump());
  EXPECT_EQ(weaker_reply.status, 400) << weaker_reply.body.dump();
  EXPECT_EQ(weaker_reply.body["error"]["field"], "handling") << weaker_reply.body.dump();

  // A late answer: a request due in 2 s becomes overdue, is answered, and the
  // missed deadline stays on record for the supervisors on both sides.
  const std::string kLateCase = "VN-2026-0045";
  CliRun late =
      vn.Run({"request", "new", "--to", "LAO/police", "--case", kLateCase, "--subject", "R-0045",
              "--question", "Current whereabouts", "--due", "2s", "--handling", "H2"});
  ASSERT_EQ(late.rc, 0) << late;
  const std::string late_item = late.j["id"];
  auto listed = [&](const Officer& o, const std::string& command) {
    CliRun r = o.Run({command});
    if (r.rc != 0) return false;
    for (const auto& i : r.j[command == "overdue" ? "items" : "missed"]) {
      if (i.value("item_id", "") == late_item) return true;
    }
    return false;
  };
  ASSERT_TRUE(Eventually([&] { return listed(la, "overdue"); }, 15s));
  EXPECT_TRUE(listed(vn, "overdue"));
  ASSERT_EQ(la.Run({"request", "provide", kLateCase, "--content", "Not seen since October"}).rc, 0);
  vn.WaitFor(kLateCase, [](const json& v) { return v["items"][0]["state"] == "provided"; });
  EXPECT_FALSE(listed(la, "overdue"));
  EXPECT_FALSE(listed(vn, "overdue"));
  for (const Officer* o : {&la, &vn}) {
    CliRun missed = o->Run({"deadlines"});
    ASSERT_EQ(missed.rc, 0) << missed;
    json miss;
    for (const auto& m : missed.j["missed"]) {
      if (m.value("item_id", "") == late_item) miss = m;
    }
    ASSERT_FALSE(miss.is_null()) << o->id() << " " << missed.out;
    EXPECT_EQ(miss["case_id"], kLateCase);
    EXPECT_EQ(miss["kind"], "request");
    EXPECT_GT(miss["answered_at_us"].get<int64_t>(), miss["due_us"].get<int64_t>()) << o->id();
    for (const auto& m : missed.j["missed"])
      EXPECT_NE(m.value("item_id", ""), item) << "answered in time";
  }

  // Viet Nam forwards the H2 answer to a third country: the node queues it,
  // the broker refuses it (no onward transfer), and nothing reaches THA.
  json forward{
      {"destinations", {{{"country", "THA"}, {"agency", "th-rtp-atpd"}}}},
      {"case_id", kCase},
      {"parent_id", answer_id},
      {"handling", "H2"},
      {"body_type", "SpontaneousInformation"},
      {"body", {{"subject", "R-0044"}, {"content", "Forwarded: two addresses in Bokeo province"}}}};
  std::string file = dir_.Sub("forward.json");
  std::ofstream(file) << forward.dump();
  CliRun fwd = vn.Run({"send", "--file", file});
  ASSERT_EQ(fwd.rc, 0) << fwd;
  const std::string fwd_id = fwd.j["id"];
  CliRun refused = vn.Run({"status", fwd_id, "--wait", "20"});
  EXPECT_EQ(refused.rc, 5) << refused;
  EXPECT_EQ(refused.j["status"], "refused") << refused;
  EXPECT_EQ(refused.j["error"]["code"], "policy_denied") << refused;
  EXPECT_EQ(refused.j["error"]["field"], "destinations") << refused;
  auto id = wire::EventId::Parse(fwd_id);
  ASSERT_TRUE(id.ok());
  auto in_log = BrokerLog().FindEvent(*id);
  ASSERT_TRUE(in_log.ok());
  EXPECT_FALSE(in_log->has_value()) << "a refused event is not in the broker's log";
  // The sender's thread shows the refusal; the request stays provided.
  json vn_view = vn.WaitFor(kCase, [&](const json& v) {
    for (const auto& e : v["events"]) {
      if (e.value("id", "") == fwd_id) return e.contains("refused");
    }
    return false;
  });
  EXPECT_EQ(vn_view["events"].back()["id"], fwd_id);
  EXPECT_EQ(vn_view["events"].back()["refused"]["code"], "policy_denied");
  EXPECT_EQ(vn_view["items"][0]["state"], "provided");
  // Sharing it with the request's own parties stays possible.
  forward["destinations"] = {{{"country", "LAO"}, {"agency", "la-mps-aht"}}};
  forward["body"]["content"] = "Thank you; received";
  std::ofstream(file) << forward.dump();
  CliRun back = vn.Run({"send", "--file", file});
  ASSERT_EQ(back.rc, 0) << back;
  CliRun ok = vn.Run({"status", back.j["id"].get<std::string>(), "--wait", "20"});
  EXPECT_EQ(ok.rc, 0) << ok;
  EXPECT_EQ(ok.j["status"], "acknowledged") << ok;
}

// ---------------------------------------------------------------------------
// Scenario 4: a recruitment-scam alert and its cancellation reach a
// subscriber that was offline the whole time, in order.

TEST_F(CaseTest, Scenario4AlertAndItsCancellationReachAnUrgentOnlySubscriberThatWasOfflineInOrder) {
  StartNode("id-node");
  StartNode("ph-node");
  StartNode("my-node");
  Officer idn = AddOfficer("id-node", "fp-id-0001", "id-polri-bareskrim", {"officer"});
  Officer ph = AddOfficer("ph-node", "officer-ph-0021", "ph-dswd", {"officer", "supervisor"});
  Officer my = AddOfficer("my-node", "officer-my-0005", "my-mapo", {"officer", "supervisor"});
  ASSERT_EQ(ph.Run({"subscribe", "job-scams", "--category", "recruitment_scam"}).rc, 0);
  CliRun sub = my.Run(
      {"subscribe", "job-scams", "--category", "recruitment_scam", "--min-priority", "urgent"});
  ASSERT_EQ(sub.rc, 0) << sub;
  // The broker holds the subscription's cursor before MYS goes away.
  ASSERT_TRUE(Eventually([&] {
    auto c = BrokerLog().GetCursor("my-node/job-scams");
    return c.ok() && c->has_value();
  }));
  StopNode("my-node");

  // The week: a routine alert (below MYS's threshold), the urgent one, and its
  // cancellation when the site is taken down.
  CliRun routine =
      idn.Run({"alert", "publish", "--category", "recruitment_scam", "--countries", "PHL", "MYS",
               "--title", "Job offers for Europe via a messaging group", "--priority", "routine"});
  ASSERT_EQ(routine.rc, 0) << routine;
  CliRun urgent = idn.Run(
      {"alert", "publish", "--category", "recruitment_scam", "--countries", "PHL", "MYS", "--title",
       "Fake overseas job offer spreading on social media", "--description",
       "Recruits are flown to a scam compound", "--priority", "urgent", "--expires", "10d"});
  ASSERT_EQ(urgent.rc, 0) << urgent;
  const std::string alert_id = urgent.j["id"];
  ASSERT_EQ(idn.Run({"status", alert_id, "--wait", "20"}).rc, 0);
  CliRun cancel = idn.Run({"alert", "cancel", alert_id, "--reason", "The site was taken down"});
  ASSERT_EQ(cancel.rc, 0) << cancel;
  const std::string cancel_id = cancel.j["id"];
  CliRun cancelled = idn.Run({"status", cancel_id, "--wait", "20"});
  ASSERT_EQ(cancelled.rc, 0) << cancelled;
  EXPECT_EQ(cancelled.j["status"], "acknowledged");
  // The sender's own list, and PHL's (online, no priority threshold).
  auto state_of = [](const CliRun& list, const std::string& id) -> std::string {
    for (const auto& a : list.j.value("alerts", json::array())) {
      if (a.value("item_id", "") == id) return a.value("state", "");
    }
    return "";
  };
  EXPECT_EQ(state_of(idn.Run({"alert", "list"}), alert_id), "cancelled");
  ASSERT_TRUE(Eventually([&] {
    CliRun list = ph.Run({"alert", "list"});
    return state_of(list, alert_id) == "cancelled" &&
           state_of(list, routine.j["id"].get<std::string>()) == "active";
  }));

  // MYS comes back: its officer logs in again (the node has a new port).
  StartNode("my-node");
  my.Login();
  CliRun list;
  ASSERT_TRUE(Eventually([&] {
    list = my.Run({"alert", "list"});
    return state_of(list, alert_id) == "cancelled";
  })) << list;
  ASSERT_EQ(list.j["alerts"].size(), 1u)
      << "the routine alert is below the subscription's threshold: " << list;
  const json& a = list.j["alerts"][0];
  EXPECT_EQ(a["cancel_reason"], "The site was taken down");
  EXPECT_EQ(a["cancel_id"], cancel_id);
  EXPECT_EQ(a["category"], "RecruitmentScam");
  EXPECT_EQ(a["origin"]["country"], "IDN");
  // Both events, in order: the alert, then its cancellation.
  CliRun inbox = my.Run({"inbox"});
  ASSERT_EQ(inbox.rc, 0) << inbox;
  ASSERT_EQ(inbox.j["events"].size(), 2u) << inbox;
  const json& first = inbox.j["events"][0];
  const json& second = inbox.j["events"][1];
  EXPECT_EQ(first["event"]["body_type"], "AlertPublished");
  EXPECT_EQ(first["event"]["id"], alert_id);
  EXPECT_EQ(second["event"]["body_type"], "AlertCancelled");
  EXPECT_EQ(second["event"]["id"], cancel_id);
  EXPECT_EQ(second["event"]["parent_id"], alert_id);
  EXPECT_EQ(second["event"]["priority"], "Urgent")
      << "the cancellation inherits the alert's priority";
  EXPECT_LT(first["offset"].get<uint64_t>(), second["offset"].get<uint64_t>());
}

// ---------------------------------------------------------------------------
// Authentication and authorisation at the node's API.

TEST_F(CaseTest,
       WithoutATokenOrTheRightRoleOrAgencyNothingIsDoneAndRepeatedWrongPasswordsLockTheAccount) {
  StartNode("th-node");
  StartNode("kh-node");
  Officer th = AddOfficer("th-node", "officer-th-0001", "th-rtp-atpd", {"officer"});
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer"});
  Officer kh2 = AddOfficer("kh-node", "officer-kh-0008", "kh-mosvy", {"officer"});
  Officer dpo = AddOfficer("kh-node", "dpo-kh-01", "kh-mosvy", {"auditor"});
  const std::string th_url = th.Url();
  const std::string kh_url = kh.Url();
  json referral{{"to", "KHM/kh-mosvy"},
                {"case_id", "TH-2026-0500"},
                {"victim", {{"pseudonym", "V-TH-0500"}}},
                {"consent", {"identity"}},
                {"priority", "urgent"}};

  // No token: 401 with a Bearer challenge, and nothing queued or recorded.
  EXPECT_EQ(Http(th_url, "GET", "/v1/health").status, 200) << "health needs no token";
  uint64_t pending = Http(th_url, "GET", "/v1/health").body["outbox_pending"];
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/referrals"},
                                                        {"POST", "/v1/events"},
                                                        {"GET", "/v1/cases"},
                                                        {"GET", "/v1/inbox"}}) {
    HttpReply r = Http(th_url, method, path, "", referral.dump());
    EXPECT_EQ(r.status, 401) << method << " " << path;
    EXPECT_EQ(r.body["error"]["code"], "unauthenticated") << path;
    EXPECT_NE(r.www_authenticate.find("Bearer"), std::string::npos) << path;
  }
  EXPECT_EQ(Http(th_url, "POST", "/v1/referrals", "lnt_not-a-real-token", referral.dump()).status,
            401);
  EXPECT_EQ(Http(th_url, "GET", "/v1/health").body["outbox_pending"], pending);
  EXPECT_EQ(th.Run({"case", "show", "TH-2026-0500"}).rc, 4) << "no case was made";
  EXPECT_TRUE(th.Run({"case", "list"}).j["cases"].empty());
  EXPECT_EQ(RunCli(dir_.Sub("home/nobody"), {"--node", th_url, "case", "list"}).rc, 2)
      << "the CLI without login";

  // The referral, sent properly, reaches kh-mosvy.
  CliRun sent = th.Run({"referral", "new", "--to", "KHM/kh-mosvy", "--case", "TH-2026-0500",
                        "--victim", "V-TH-0500", "--consent", "identity", "--priority", "urgent"});
  ASSERT_EQ(sent.rc, 0) << sent;
  const std::string item = sent.j["id"];
  kh.WaitFor("TH-2026-0500", [](const json& v) { return v["items"][0]["state"] == "received"; });
  const std::string ack_path = "/v1/items/" + item + "/acknowledge";

  // An unauthenticated acknowledgement changes nothing.
  EXPECT_EQ(Http(kh_url, "POST", ack_path, "", "{}").status, 401);
  EXPECT_TRUE(kh.Show("TH-2026-0500")["items"][0]["acks"].empty());

  // An auditor reads (with a justification) but cannot send or act.
  std::string dpo_token = dpo.Token();
  HttpReply r = Http(kh_url, "POST", "/v1/referrals", dpo_token,
                     json{{"to", "THA/police"},
                          {"case_id", "KH-1"},
                          {"victim", {{"pseudonym", "V-1"}}},
                          {"consent", {"identity"}}}
                         .dump());
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "forbidden");
  r = Http(kh_url, "POST", ack_path, dpo_token, "{}");
  EXPECT_EQ(r.status, 403) << r.body.dump();
  CliRun dpo_ack = dpo.Run({"referral", "ack", item});
  EXPECT_EQ(dpo_ack.rc, 2) << dpo_ack;
  EXPECT_NE(dpo_ack.err.find("role"), std::string::npos) << dpo_ack;
  EXPECT_EQ(dpo.Run({"case", "show", "TH-2026-0500"}).rc, 2) << "an auditor must say why";
  CliRun dpo_read =
      dpo.Run({"case", "show", "TH-2026-0500", "--justification", "Routine data-protection check"});
  EXPECT_EQ(dpo_read.rc, 0) << dpo_read;

  // An officer of kh-mosvy cannot act for another agency.
  std::string kh_token = kh.Token();
  uint64_t kh_pending = Http(kh_url, "GET", "/v1/health").body["outbox_pending"];
  json foreign{
      {"destinations", {{{"country", "THA"}, {"agency", "th-rtp-atpd"}}}},
      {"origin", {{"country", "KHM"}, {"agency", "kh-ahtjp"}}},
      {"case_id", "KH-2026-0099"},
      {"body_type", "ReferralCreated"},
      {"body", {{"victim", {{"pseudonym", "V-KH-0099"}}}, {"consent", {{"items", {"Identity"}}}}}}};
  r = Http(kh_url, "POST", "/v1/events", kh_token, foreign.dump());
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(r.body["error"]["field"], "origin.agency") << r.body.dump();
  json impersonating = foreign;
  impersonating["origin"]["agency"] = "kh-mosvy";
  impersonating["officer"] = "officer-kh-0008";
  r = Http(kh_url, "POST", "/v1/events", kh_token, impersonating.dump());
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(r.body["error"]["field"], "officer");
  EXPECT_EQ(Http(kh_url, "GET", "/v1/health").body["outbox_pending"], kh_pending);
  EXPECT_EQ(kh.Run({"case", "show", "KH-2026-0099"}).rc, 4);

  // The sending agency cannot acknowledge its own referral.
  r = Http(th_url, "POST", ack_path, th.Token(), "{}");
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(th.Run({"referral", "ack", "TH-2026-0500"}).rc, 2);

  // One acknowledgement per agency: a second one, by a colleague, is 409.
  ASSERT_EQ(kh.Run({"referral", "ack", "TH-2026-0500", "--note", "Assigned"}).rc, 0);
  r = Http(kh_url, "POST", ack_path, kh2.Token(), "{}");
  EXPECT_EQ(r.status, 409) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "conflict");
  EXPECT_EQ(kh.Run({"referral", "ack", item}).rc, 2);
  json view = th.WaitFor("TH-2026-0500",
                         [](const json& v) { return v["items"][0]["state"] == "acknowledged"; });
  ASSERT_EQ(view["items"][0]["acks"].size(), 1u);
  EXPECT_EQ(view["items"][0]["acks"][0]["officer"], "officer-kh-0007");

  // Acknowledging an unknown id: 404.
  std::string unknown = wire::EventIdGenerator().Next().ToString();
  r = Http(kh_url, "POST", "/v1/items/" + unknown + "/acknowledge", kh_token, "{}");
  EXPECT_EQ(r.status, 404) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "not_found");
  EXPECT_EQ(kh.Run({"referral", "ack", unknown}).rc, 4);

  // Five wrong passwords lock the account; then even the right one is refused.
  Officer locked = AddOfficer("th-node", "officer-th-0009", "th-rtp-atpd", {"officer"});
  for (int i = 0; i < 5; ++i) {
    r = Http(th_url, "POST", "/v1/login", "",
             json{{"user", "officer-th-0009"}, {"password", "wrong-password-" + std::to_string(i)}}
                 .dump());
    EXPECT_EQ(r.status, 401) << i << " " << r.body.dump();
  }
  r = Http(th_url, "POST", "/v1/login", "",
           json{{"user", "officer-th-0009"}, {"password", Password("officer-th-0009")}}.dump());
  EXPECT_EQ(r.status, 429) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "locked_out") << r.body.dump();
  EXPECT_FALSE(r.retry_after.empty());
  CliRun relogin = locked.Run({"login", "--user", "officer-th-0009", "--password-stdin"},
                              Password("officer-th-0009") + "\n");
  EXPECT_EQ(relogin.rc, 2) << relogin;
  EXPECT_NE(relogin.err.find("locked"), std::string::npos) << relogin;
}

// ---------------------------------------------------------------------------
// The routing policy's refusals, as the sending officer sees them.

constexpr const char* kReferralsAndAcknowledgementsOnly = R"(
[policy]
default = "deny"
[[policy.rules]]
name = "referrals-tha-to-khm-social-welfare"
from = ["THA"]
to = ["KHM"]
roles = ["social_welfare"]
events = ["ReferralCreated"]
[[policy.rules]]
name = "receipts-and-acknowledgements-to-tha"
from = ["KHM"]
to = ["THA"]
events = ["DeliveryReceipt", "ReferralAcknowledged"]
)";

TEST_F(CaseTest, ABrokerRefusalShowsInTheSendersCaseViewForAReferralAndForAStep) {
  UsePolicy(kReferralsAndAcknowledgementsOnly);
  StartNode("th-node");
  StartNode("kh-node");
  Officer th = AddOfficer("th-node", "officer-th-0001", "th-rtp-atpd", {"officer"});
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer"});
  // A referral the policy does not allow (to the police): refused, and so
  // shown in the case.
  CliRun denied = th.Run({"referral", "new", "--to", "KHM/kh-ahtjp", "--case", "TH-2026-0601",
                          "--victim", "V-TH-0601", "--consent", "identity"});
  ASSERT_EQ(denied.rc, 0) << denied;
  CliRun status = th.Run({"status", denied.j["id"].get<std::string>(), "--wait", "20"});
  EXPECT_EQ(status.rc, 5) << status;
  EXPECT_EQ(status.j["error"]["code"], "policy_denied") << status;
  json view =
      th.WaitFor("TH-2026-0601", [](const json& v) { return v["items"][0]["state"] == "refused"; });
  EXPECT_EQ(view["items"][0]["refusal"]["code"], "policy_denied") << view.dump();
  EXPECT_FALSE(view["items"][0]["awaiting_answer"].get<bool>()) << "nothing to wait for";

  // An allowed referral, acknowledged; the acceptance is not allowed back.
  CliRun sent = th.Run({"referral", "new", "--to", "KHM/social_welfare", "--case", "TH-2026-0600",
                        "--victim", "V-TH-0600", "--consent", "identity", "--priority", "urgent"});
  ASSERT_EQ(sent.rc, 0) << sent;
  kh.WaitFor("TH-2026-0600", [](const json& v) { return v["items"][0]["state"] == "received"; });
  ASSERT_EQ(kh.Run({"referral", "ack", "TH-2026-0600"}).rc, 0);
  th.WaitFor("TH-2026-0600",
             [](const json& v) { return v["items"][0]["state"] == "acknowledged"; });
  CliRun accept = kh.Run({"referral", "accept", "TH-2026-0600"});
  ASSERT_EQ(accept.rc, 0) << accept;
  const std::string accept_id = accept.j["id"];
  CliRun refused = kh.Run({"status", accept_id, "--wait", "20"});
  EXPECT_EQ(refused.rc, 5) << refused;
  EXPECT_EQ(refused.j["status"], "refused");
  // The step is marked refused in the thread of the node that sent it.
  json kh_view = kh.WaitFor("TH-2026-0600", [&](const json& v) {
    for (const auto& e : v["events"]) {
      if (e.value("id", "") == accept_id) return e.contains("refused");
    }
    return false;
  });
  for (const auto& e : kh_view["events"]) {
    if (e.value("id", "") == accept_id) {
      EXPECT_EQ(e["refused"]["code"], "policy_denied") << e.dump();
    }
  }
  // The partner never got it.
  json th_view = th.Show("TH-2026-0600");
  EXPECT_EQ(th_view["items"][0]["state"], "acknowledged");
  EXPECT_EQ(th_view["events"].size(), 3u);
}

// Regression: a step the broker refused used to stay applied on the node
// that sent it (the item "accepted" there, "acknowledged" at the partner),
// so the item left the deadline index and the step could not be taken again.
TEST_F(CaseTest, ARefusedStepLeavesTheItemInTheStateThePartnerHasAndCanBeTakenAgain) {
  UsePolicy(kReferralsAndAcknowledgementsOnly);
  StartNode("th-node");
  StartNode("kh-node");
  Officer th = AddOfficer("th-node", "officer-th-0001", "th-rtp-atpd", {"officer"});
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer"});
  CliRun sent =
      th.Run({"referral", "new", "--to", "KHM/social_welfare", "--case", "TH-2026-0600", "--victim",
              "V-TH-0600", "--consent", "identity", "--priority", "urgent", "--due", "2s"});
  ASSERT_EQ(sent.rc, 0) << sent;
  kh.WaitFor("TH-2026-0600", [](const json& v) { return v["items"][0]["state"] == "received"; });
  ASSERT_EQ(kh.Run({"referral", "ack", "TH-2026-0600"}).rc, 0);
  CliRun accept = kh.Run({"referral", "accept", "TH-2026-0600"});
  ASSERT_EQ(accept.rc, 0) << accept;
  EXPECT_EQ(kh.Run({"status", accept.j["id"].get<std::string>(), "--wait", "20"}).rc, 5);
  json kh_view = kh.WaitFor("TH-2026-0600",
                            [](const json& v) { return v["events"].back().contains("refused"); });
  EXPECT_EQ(kh_view["items"][0]["state"], "acknowledged") << kh_view.dump();
  EXPECT_TRUE(kh_view["items"][0]["awaiting_answer"].get<bool>()) << kh_view.dump();
  // Still owed, so it turns up as overdue at the agency that owes the answer.
  EXPECT_TRUE(Eventually(
      [&] {
        CliRun overdue = kh.Run({"overdue"});
        return overdue.rc == 0 && overdue.j["items"].size() == 1;
      },
      10s));
  EXPECT_EQ(th.Show("TH-2026-0600")["items"][0]["state"], "acknowledged");
  CliRun again = kh.Run({"referral", "accept", "TH-2026-0600"});
  EXPECT_EQ(again.rc, 0) << again;
}

// ---------------------------------------------------------------------------
// The node's consultation log.

TEST_F(CaseTest,
       EveryCaseViewIsInTheConsultationLogAndAnEditedEntryBreaksTheChainAndRaisesTheAlarm) {
  StartNode("kh-node");
  Officer kh = AddOfficer("kh-node", "officer-kh-0007", "kh-mosvy", {"officer"});
  Officer kh2 = AddOfficer("kh-node", "officer-kh-0008", "kh-mosvy", {"officer"});
  Officer dpo = AddOfficer("kh-node", "dpo-kh-01", "kh-mosvy", {"auditor"});
  const std::string kCase = "KH-2026-0077";
  ASSERT_EQ(kh.Run({"referral", "new", "--to", "THA/police", "--case", kCase, "--victim",
                    "V-KH-0077", "--consent", "identity", "--priority", "urgent"})
                .rc,
            0);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(kh.Run({"case", "show", kCase}).rc, 0);
  ASSERT_EQ(kh2.Run({"case", "show", kCase}).rc, 0);
  EXPECT_EQ(kh.Run({"case", "show", "KH-2026-0078"}).rc, 4);

  CliRun audit = dpo.Run(
      {"audit", "local", "--justification", "Quarterly data-protection review", "--case", kCase});
  ASSERT_EQ(audit.rc, 0) << audit;
  EXPECT_TRUE(audit.j["chain"]["ok"].get<bool>()) << audit;
  std::map<std::string, int> views;
  std::vector<uint64_t> seqs;
  for (const auto& e : audit.j["entries"]) {
    EXPECT_EQ(e["case_id"], kCase);
    if (e["action"] != "view_case") continue;
    ++views[e["user"].get<std::string>()];
    seqs.push_back(e["seq"]);
    EXPECT_EQ(e["agency"], "kh-mosvy");
    EXPECT_FALSE(e["event_ids"].empty()) << "the events shown are named";
  }
  EXPECT_EQ(views, (std::map<std::string, int>{{"officer-kh-0007", 3}, {"officer-kh-0008", 1}}));
  ASSERT_EQ(seqs.size(), 4u);
  // The export is itself recorded, with its justification.
  CliRun again =
      dpo.Run({"audit", "local", "--justification", "Second look", "--user", "dpo-kh-01"});
  ASSERT_EQ(again.rc, 0) << again;
  ASSERT_FALSE(again.j["entries"].empty());
  EXPECT_EQ(again.j["entries"][0]["action"], "export_access");
  EXPECT_EQ(again.j["entries"][0]["justification"], "Quarterly data-protection review");
  EXPECT_EQ(Http(kh.Url(), "GET", "/v1/health").body["status"], "ok");

  // Someone with access to the disk rewrites who looked at the case.
  StopNode("kh-node");
  const uint64_t edited = seqs[1];
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "outbox", "pending", "status", "inbox", "inbox_ids", "meta",
                             "users", "tokens", "access", "cases", "vault"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::Options(), dir_.Sub("kh-node"), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* access = handles[9];
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(edited >> (56 - 8 * i));
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), access, key, &value).ok());
    json entry = json::parse(value);
    ASSERT_EQ(entry["seq"], edited);
    ASSERT_EQ(entry["user"], "officer-kh-0007");
    entry["user"] = "officer-kh-0008";
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, access, key, entry.dump()).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  StartNode("kh-node");
  HttpReply health = Http(kh.Url(), "GET", "/v1/health");
  EXPECT_EQ(health.body["status"], "alarm") << health.body.dump();
  EXPECT_NE(health.body["consultation_log_alarm"].dump().find(std::to_string(edited)),
            std::string::npos)
      << health.body.dump();
  dpo.Login();
  CliRun broken = dpo.Run({"audit", "local", "--justification", "Checking the alarm"});
  EXPECT_EQ(broken.rc, 1) << broken;
  EXPECT_FALSE(broken.j["chain"]["ok"].get<bool>()) << broken;
  EXPECT_EQ(broken.j["chain"]["first_bad_seq"], edited) << broken;
  EXPECT_FALSE(broken.j["chain"]["problem"].get<std::string>().empty());
}

}  // namespace
}  // namespace lintas
