// lintas-node user add | list | disable | enable | passwd | token | tokens | revoke
#include "user_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <termios.h>
#include <unistd.h>

#include "lintas/common/clock.h"
#include "lintas/node/account_store.h"
#include "lintas/node/config.h"
#include "lintas/node/human_time.h"
#include "lintas/node/node_store.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitRunning = 1;
constexpr int kExitError = 2;

struct Flags {
  std::string config;
  std::string id;
  std::string agency;
  std::vector<std::string> roles;
  std::string language = "en";
  std::string display_name;
  bool system = false;
  bool password_stdin = false;
  bool json = false;
  std::string token_name;
  std::string expires;
  std::string token_id;
};

int Fail(const std::string& message) {
  std::cerr << "lintas-node: " << message << "\n";
  return kExitError;
}

std::string When(int64_t micros) {
  if (micros == 0) return "-";
  std::string full = FormatMicros(micros);
  return full.size() > 19 ? full.substr(0, 19) + "Z" : full;
}

// One line from standard input, without its line end.
std::optional<std::string> ReadStdinLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Reads a line from the controlling terminal with echo off (restored after).
std::optional<std::string> PromptNoEcho(int fd, const std::string& prompt) {
  termios old_mode{};
  if (tcgetattr(fd, &old_mode) != 0) return std::nullopt;
  termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  if (write(fd, prompt.data(), prompt.size()) < 0) return std::nullopt;
  if (tcsetattr(fd, TCSADRAIN, &quiet) != 0) return std::nullopt;
  std::string line;
  char c = 0;
  bool ok = false;
  while (read(fd, &c, 1) == 1) {
    if (c == '\n') {
      ok = true;
      break;
    }
    line.push_back(c);
  }
  tcsetattr(fd, TCSADRAIN, &old_mode);
  if (!ok) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password: one line of stdin, or asked twice on the terminal.
std::optional<std::string> ReadNewPassword(bool from_stdin, const std::string& user, std::string* error) {
  if (from_stdin) {
    auto line = ReadStdinLine();
    if (!line) *error = "--password-stdin: no line on standard input";
    return line;
  }
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *error = "no terminal to ask for the password; use --password-stdin";
    return std::nullopt;
  }
  auto first = PromptNoEcho(fd, "New password for " + user + ": ");
  auto second = first ? PromptNoEcho(fd, "Repeat it: ") : std::nullopt;
  close(fd);
  if (!first || !second) {
    *error = "cannot read the password from the terminal";
    return std::nullopt;
  }
  if (*first != *second) {
    *error = "the two passwords differ; nothing changed";
    return std::nullopt;
  }
  return first;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string StateOf(const User& u, int64_t now_us) {
  if (u.disabled) return "disabled";
  if (u.locked_until_us > now_us) return "locked until " + When(u.locked_until_us);
  return "active";
}

std::string StateOf(const TokenInfo& t, int64_t now_us) {
  if (t.revoked) return "revoked";
  if (t.expires_us <= now_us) return "expired";
  return "active";
}

json UserToJson(const User& u) {
  return {{"id", u.id},           {"agency", u.agency},     {"roles", u.roles},
          {"language", u.language}, {"display_name", u.display_name}, {"system", u.system},
          {"disabled", u.disabled}, {"created_at_us", u.created_us},
          {"locked_until_us", u.locked_until_us}};
}


// The node's store, or nullptr after saying why (*rc: the exit code).
std::unique_ptr<NodeStore> OpenStore(const std::string& dir, int* rc) {
  auto store = NodeStore::Open(dir);
  if (store.ok()) return std::move(store).value();
  const std::string& m = store.error().message;
  // RocksDB: "IO error: While lock file: <dir>/LOCK: Resource temporarily unavailable"
  if (m.find("lock file") != std::string::npos || m.find("/LOCK") != std::string::npos) {
    std::cerr << "lintas-node: the node is running (its data directory is locked); use `lintas admin user ...` "
                 "against its API\n";
    *rc = kExitRunning;
  } else {
    *rc = Fail(m);
  }
  return nullptr;
}

int List(AccountStore& accounts, bool as_json) {
  auto users = accounts.ListUsers();
  if (!users.ok()) return Fail(users.error().message);
  int64_t now = NowMicros();
  if (as_json) {
    json out = json::array();
    for (const auto& u : *users) out.push_back(UserToJson(u));
    std::cout << json{{"users", out}}.dump() << "\n";
    return kExitOk;
  }
  std::printf("%-24s %-16s %-28s %-4s %-7s %-32s %s\n", "ID", "AGENCY", "ROLES", "LANG", "KIND", "STATE", "NAME");
  for (const auto& u : *users) {
    std::printf("%-24s %-16s %-28s %-4s %-7s %-32s %s\n", u.id.c_str(), u.agency.c_str(), Joined(u.roles).c_str(),
                u.language.c_str(), u.system ? "system" : "person", StateOf(u, now).c_str(), u.display_name.c_str());
  }
  return kExitOk;
}

int Tokens(AccountStore& accounts, const std::string& user, bool as_json) {
  auto tokens = accounts.Tokens(user);
  if (!tokens.ok()) return Fail(tokens.error().message);
  int64_t now = NowMicros();
  if (as_json) {
    json out = json::array();
    for (const auto& t : *tokens) out.push_back(t.ToJson());
    std::cout << json{{"tokens", out}}.dump() << "\n";
    return kExitOk;
  }
  std::printf("%-12s %-24s %-8s %-20s %-20s %-20s %-8s %s\n", "ID", "USER", "KIND", "CREATED", "EXPIRES",
              "LAST USED", "STATE", "NAME");
  for (const auto& t : *tokens) {
    std::printf("%-12s %-24s %-8s %-20s %-20s %-20s %-8s %s\n", t.id.c_str(), t.user.c_str(),
                t.session ? "session" : "api", When(t.created_us).c_str(), When(t.expires_us).c_str(),
                When(t.last_used_us).c_str(), StateOf(t, now).c_str(), t.name.c_str());
  }
  return kExitOk;
}

}  // namespace

int RunUserCommand(int argc, char** argv) {
  // argv[1] is "user": parse from there, with "user" in the program name's place.
  CLI::App app{"lintas-node user: manage the node's accounts offline (the node must be stopped)", "lintas-node user"};
  app.require_subcommand(1);
  Flags f;
  app.add_option("-c,--config", f.config, "The node's TOML configuration file")->required();

  auto* add = app.add_subcommand("add", "Create an account (asks for its password unless --system)");
  add->add_option("id", f.id, "Account id: a-z 0-9 . _ - (the officer id in events)")->required();
  add->add_option("--agency", f.agency, "The agency the account belongs to (one the node serves)")->required();
  add->add_option("--roles", f.roles, "officer, supervisor, auditor, admin, dpo (comma-separated)")
      ->required()
      ->delimiter(',');
  add->add_option("--language", f.language, "Console language: en th km lo vi id ms fil my")->capture_default_str();
  add->add_option("--name", f.display_name, "Display name, shown to local users only");
  add->add_flag("--system", f.system, "An agency system: API tokens only, no password");
  add->add_flag("--password-stdin", f.password_stdin, "Read the password from one line of standard input");

  auto* list = app.add_subcommand("list", "List the accounts");
  list->add_flag("--json", f.json, "Print JSON");

  auto* disable = app.add_subcommand("disable", "Disable an account and revoke all its tokens");
  disable->add_option("id", f.id, "Account id")->required();
  auto* enable = app.add_subcommand("enable", "Enable a disabled account again");
  enable->add_option("id", f.id, "Account id")->required();

  auto* passwd = app.add_subcommand("passwd", "Set a new password (lifts a lockout, ends its sessions)");
  passwd->add_option("id", f.id, "Account id")->required();
  passwd->add_flag("--password-stdin", f.password_stdin, "Read the password from one line of standard input");

  auto* token = app.add_subcommand("token", "Issue an API token (printed once, never stored)");
  token->add_option("id", f.id, "Account id")->required();
  token->add_option("--name", f.token_name, "What the token is for (\"kh-cms import\")")->required();
  token->add_option("--expires", f.expires, "Lifetime: 90d, 12h, 30m (default: 365d)");

  auto* tokens = app.add_subcommand("tokens", "List tokens (of one account, or all)");
  tokens->add_option("id", f.id, "Account id");
  tokens->add_flag("--json", f.json, "Print JSON");

  auto* revoke = app.add_subcommand("revoke", "Revoke a token by its id");
  revoke->add_option("token_id", f.token_id, "Token id (as `tokens` lists it)")->required();

  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitError;
  }

  NodeConfig config;
  try {
    config = LoadNodeConfig(f.config);
  } catch (const NodeConfigError& e) {
    return Fail(std::string("configuration error: ") + e.what());
  }

  std::optional<int64_t> ttl;
  if (token->parsed() && !f.expires.empty()) {
    ttl = ParseDuration(f.expires);
    if (!ttl) return Fail("--expires: use a duration like 90d, 12h or 30m");  // (or 1w, 1d12h)
  }
  // Fail fast when the node is running, but let go of the lock while a
  // password is typed: a slow typist must not keep the node from starting.
  int rc = kExitOk;
  auto store = OpenStore(config.data_dir, &rc);
  if (!store) return rc;
  std::string password;
  if ((add->parsed() && !f.system) || passwd->parsed()) {
    store.reset();
    std::string error;
    auto p = ReadNewPassword(f.password_stdin, f.id, &error);
    if (!p) return Fail(error);
    password = std::move(*p);
    store = OpenStore(config.data_dir, &rc);
    if (!store) return rc;
  }

  AccountStore accounts(store.get(), AccountOptionsFor(config));
  int64_t now = NowMicros();

  if (add->parsed()) {
    User u;
    u.id = f.id;
    u.agency = f.agency;
    u.roles = f.roles;
    u.language = f.language;
    u.display_name = f.display_name;
    u.system = f.system;
    if (auto s = accounts.AddUser(u, password, now); !s.ok()) return Fail(s.error().message);
    std::cout << "added " << (f.system ? "system account " : "account ") << f.id << " (" << f.agency << ", "
              << Joined(f.roles) << ")\n";
    return kExitOk;
  }
  if (list->parsed()) return List(accounts, f.json);
  if (disable->parsed() || enable->parsed()) {
    bool off = disable->parsed();
    if (auto s = accounts.SetDisabled(f.id, off); !s.ok()) return Fail(s.error().message);
    std::cout << (off ? "disabled " : "enabled ") << f.id << (off ? "; its tokens are revoked" : "") << "\n";
    return kExitOk;
  }
  if (passwd->parsed()) {
    if (auto s = accounts.SetPassword(f.id, password); !s.ok()) return Fail(s.error().message);
    std::cout << "password of " << f.id << " changed; its sessions are ended\n";
    return kExitOk;
  }
  if (token->parsed()) {
    auto issued = accounts.IssueApiToken(f.id, f.token_name, ttl.value_or(0), now);
    if (!issued.ok()) return Fail(issued.error().message);
    // The token alone on stdout (for `TOKEN=$(...)`); the note on stderr.
    std::cout << issued->token << "\n";
    std::cerr << "token " << issued->id << " for " << f.id << " (" << f.token_name << "), expires "
              << When(issued->expires_us) << "; it is shown only this once\n";
    return kExitOk;
  }
  if (tokens->parsed()) return Tokens(accounts, f.id, f.json);
  if (revoke->parsed()) {
    auto info = accounts.Token(f.token_id);
    if (!info.ok()) return Fail(info.error().message);
    if (auto s = accounts.Revoke(f.token_id); !s.ok()) return Fail(s.error().message);
    std::cout << "revoked token " << f.token_id;
    if (info->has_value()) std::cout << " (" << (*info)->user << ", " << (*info)->name << ")";
    std::cout << "\n";
    return kExitOk;
  }
  return kExitError;
}

}  // namespace lintas::node
