// lintas login | logout | whoami | passwd | language | admin user ... | admin token ...
#include "account_commands.h"

#include <cctype>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "credentials.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

struct AccountFlags {
  std::string user;
  bool password_stdin = false;
  std::string language = "en";
  std::string agency;
  std::vector<std::string> roles;
  std::string display_name;
  bool system = false;
  std::string token_name;
  std::string expires;
  std::string token_id;
  bool all = false;
  std::string code;
};

bool Ok(const Reply& r) { return r.status >= 200 && r.status < 300; }

std::string Joined(const json& list, const char* sep = ", ") {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& i : list) {
    if (i.is_string()) out += (out.empty() ? "" : sep) + i.get<std::string>();
  }
  return out;
}

// "somchai.k (th-dsdw; officer, supervisor)"
std::string Describe(const json& user) {
  return fmt::format("{} ({}; {})", user.value("id", "?"), user.value("agency", "?"), Joined(user.value("roles", json::array())));
}

// Percent-encodes a query value.
std::string Encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A line from the terminal with echo off (restored after); nullopt when
// there is no terminal or it cannot be read.
std::optional<std::string> Prompt(const std::string& prompt) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios old_mode{};
  std::optional<std::string> result;
  if (tcgetattr(fd, &old_mode) == 0) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    if (write(fd, prompt.data(), prompt.size()) >= 0 && tcsetattr(fd, TCSADRAIN, &quiet) == 0) {
      std::string line;
      char c = 0;
      while (read(fd, &c, 1) == 1) {
        if (c == '\n') {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          result = std::move(line);
          break;
        }
        line.push_back(c);
      }
      tcsetattr(fd, TCSADRAIN, &old_mode);
    }
  }
  close(fd);
  return result;
}

std::optional<std::string> StdinLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// A password: one line of stdin, or asked on the terminal (twice when
// `confirm`). Prints why and returns nullopt on failure.
std::optional<std::string> ReadPassword(bool from_stdin, const std::string& prompt, bool confirm) {
  if (from_stdin) {
    auto line = StdinLine();
    if (!line) std::cerr << "lintas: --password-stdin: no line on standard input\n";
    return line;
  }
  auto first = Prompt(prompt);
  if (!first) {
    std::cerr << "lintas: no terminal to ask for the password; use --password-stdin\n";
    return std::nullopt;
  }
  if (confirm) {
    auto second = Prompt("Repeat it: ");
    if (!second || *second != *first) {
      std::cerr << "lintas: the two passwords differ; nothing changed\n";
      return std::nullopt;
    }
  }
  return first;
}

// Runs `body` with a client carrying the stored token; its result is the
// exit code.
template <typename Body>
std::function<void()> WithNode(const std::string* url, int* rc, Body body) {
  return [url, rc, body] {
    NodeClient node(*url, ResolveToken(*url));
    *rc = body(node);
  };
}

void PrintUsers(const json& users) {
  std::cout << fmt::format("{:<24} {:<16} {:<28} {:<4} {:<7} {:<32} {}\n", "ID", "AGENCY", "ROLES", "LANG", "KIND",
                           "STATE", "NAME");
  for (const auto& u : users) {
    std::string state = u.value("disabled", false) ? "disabled" : "active";
    int64_t locked = u.value("locked_until_us", int64_t{0});
    if (!u.value("disabled", false) && locked > 0) state = "locked until " + When(locked);
    std::cout << fmt::format("{:<24} {:<16} {:<28} {:<4} {:<7} {:<32} {}\n", u.value("id", ""), u.value("agency", ""),
                             Joined(u.value("roles", json::array()), ","), u.value("language", ""),
                             u.value("system", false) ? "system" : "person", state, u.value("display_name", ""));
  }
}

void PrintTokens(const json& tokens) {
  std::cout << fmt::format("{:<12} {:<24} {:<8} {:<20} {:<20} {:<20} {:<8} {}\n", "ID", "USER", "KIND", "CREATED",
                           "EXPIRES", "LAST USED", "STATE", "NAME");
  for (const auto& t : tokens) {
    std::cout << fmt::format("{:<12} {:<24} {:<8} {:<20} {:<20} {:<20} {:<8} {}\n", t.value("id", ""),
                             t.value("user", ""), t.value("session", false) ? "session" : "api",
                             When(t.value("created_at_us", int64_t{0})), When(t.value("expires_at_us", int64_t{0})),
                             When(t.value("last_used_at_us", int64_t{0})), t.value("state", ""), t.value("name", ""));
  }
}

void AddSelfCommands(CLI::App& app, const std::string* url, const bool* as_json, int* rc, AccountFlags* f) {
  auto* login = app.add_subcommand("login", "Log in to the node (the token is kept in your config directory)");
  login->add_option("--user", f->user, "Your account id")->required();
  login->add_flag("--password-stdin", f->password_stdin, "Read the password from one line of standard input");
  login->callback([url, as_json, rc, f] {
    auto password = ReadPassword(f->password_stdin, "Password for " + f->user + ": ", false);
    if (!password) {
      *rc = kExitBadInput;
      return;
    }
    NodeClient node(*url);
    Reply r = node.Post("/v1/login", {{"user", f->user}, {"password", *password}});
    if (!Ok(r)) {
      *rc = Fail(r);
      return;
    }
    if (!StoreToken(*url, r.body.value("token", ""))) {
      *rc = kExitFailure;
      return;
    }
    const json& user = r.body.contains("user") ? r.body["user"] : json::object();
    int64_t until = r.body.value("expires_at_us", int64_t{0});
    if (*as_json) {
      std::cout << json{{"user", user}, {"token_id", r.body.value("token_id", "")}, {"expires_at_us", until}}.dump()
                << "\n";
    } else {
      std::cout << fmt::format("logged in as {} ({}, {}) until {}\n", user.value("id", f->user),
                               user.value("agency", "?"), Joined(user.value("roles", json::array())), When(until));
    }
    *rc = kExitOk;
  });

  auto* logout = app.add_subcommand("logout", "End your session and forget its token");
  logout->callback(WithNode(url, rc, [url](NodeClient& node) {
    Reply r = node.Post("/v1/logout", json::object());
    // With $LINTAS_TOKEN the stored token (if any) was not the one ended.
    const char* env = std::getenv("LINTAS_TOKEN");
    bool had = (env == nullptr || *env == '\0') && ForgetToken(*url);
    // An expired or revoked session is as good as ended.
    if (!Ok(r) && r.status != 401) return Fail(r);
    std::cout << (had || Ok(r) ? "logged out\n" : "not logged in\n");
    return kExitOk;
  }));

  auto* whoami = app.add_subcommand("whoami", "Show the account your token belongs to");
  whoami->callback(WithNode(url, rc, [as_json](NodeClient& node) {
    Reply r = node.Get("/v1/me");
    if (!Ok(r)) return Fail(r);
    if (*as_json) {
      std::cout << r.body.dump() << "\n";
    } else {
      std::cout << fmt::format("{}{}, language {}, {} {}\n", Describe(r.body),
                               r.body.value("system", false) ? ", system account" : "", r.body.value("language", "en"),
                               r.body.value("session", false) ? "session" : "API token", r.body.value("token_id", ""));
    }
    return kExitOk;
  }));

  auto* passwd = app.add_subcommand("passwd", "Change your password (ends your other sessions)");
  passwd->add_flag("--password-stdin", f->password_stdin,
                   "Read the old and the new password from two lines of standard input");
  passwd->callback([url, rc, f] {
    auto old_password = ReadPassword(f->password_stdin, "Current password: ", false);
    if (!old_password) {
      *rc = kExitBadInput;
      return;
    }
    auto new_password = ReadPassword(f->password_stdin, "New password: ", true);
    if (!new_password) {
      *rc = kExitBadInput;
      return;
    }
    NodeClient node(*url, ResolveToken(*url));
    Reply r = node.Post("/v1/me/password", {{"old_password", *old_password}, {"new_password", *new_password}});
    if (!Ok(r)) {
      *rc = Fail(r);
      return;
    }
    // The node ended every session and gave this one a fresh token.
    if (r.body.contains("token") && r.body["token"].is_string()) {
      if (!StoreToken(*url, r.body["token"].get<std::string>())) {
        *rc = kExitFailure;
        return;
      }
    }
    std::cout << "password changed; your other sessions are ended\n";
    *rc = kExitOk;
  });

  auto* language = app.add_subcommand("language", "Set your console language (en th km lo vi id ms fil my)");
  language->add_option("code", f->code, "Language code")->required();
  language->callback(WithNode(url, rc, [f](NodeClient& node) {
    Reply r = node.Put("/v1/me/language", {{"language", f->code}});
    if (!Ok(r)) return Fail(r);
    std::cout << "console language set to " << r.body.value("language", f->code) << "\n";
    return kExitOk;
  }));
}

void AddAdminUserCommands(CLI::App& admin, const std::string* url, const bool* as_json, int* rc, AccountFlags* f) {
  auto* user = admin.add_subcommand("user", "Manage the node's accounts (role admin)");
  user->require_subcommand(1);

  auto* add = user->add_subcommand("add", "Create an account (asks for its password unless --system)");
  add->add_option("id", f->user, "Account id: a-z 0-9 . _ -")->required();
  add->add_option("--agency", f->agency, "The agency it belongs to (one the node serves)")->required();
  add->add_option("--roles", f->roles, "officer, supervisor, auditor, admin, dpo (comma-separated)")
      ->required()
      ->delimiter(',');
  add->add_option("--language", f->language, "Console language: en th km lo vi id ms fil my")->capture_default_str();
  add->add_option("--name", f->display_name, "Display name, shown to local users only");
  add->add_flag("--system", f->system, "An agency system: API tokens only, no password");
  add->add_flag("--password-stdin", f->password_stdin, "Read the password from one line of standard input");
  add->callback([url, as_json, rc, f] {
    std::string password;
    if (!f->system) {
      auto p = ReadPassword(f->password_stdin, "Password for " + f->user + ": ", true);
      if (!p) {
        *rc = kExitBadInput;
        return;
      }
      password = std::move(*p);
    }
    NodeClient node(*url, ResolveToken(*url));
    Reply r = node.Post("/v1/users", {{"id", f->user},
                                      {"agency", f->agency},
                                      {"roles", f->roles},
                                      {"language", f->language},
                                      {"display_name", f->display_name},
                                      {"system", f->system},
                                      {"password", password}});
    if (!Ok(r)) {
      *rc = Fail(r);
      return;
    }
    if (*as_json) std::cout << r.body.dump() << "\n";
    else std::cout << "added " << (f->system ? "system account " : "account ") << Describe(r.body) << "\n";
    *rc = kExitOk;
  });

  auto* list = user->add_subcommand("list", "List the accounts");
  list->callback(WithNode(url, rc, [as_json](NodeClient& node) {
    Reply r = node.Get("/v1/users");
    if (!Ok(r)) return Fail(r);
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintUsers(r.body.value("users", json::array()));
    return kExitOk;
  }));

  for (bool disable : {true, false}) {
    auto* sub = user->add_subcommand(disable ? "disable" : "enable",
                                     disable ? "Disable an account and revoke all its tokens" : "Enable an account again");
    sub->add_option("id", f->user, "Account id")->required();
    sub->callback(WithNode(url, rc, [f, disable](NodeClient& node) {
      Reply r = node.Post("/v1/users/" + f->user + (disable ? "/disable" : "/enable"), json::object());
      if (!Ok(r)) return Fail(r);
      std::cout << (disable ? "disabled " : "enabled ") << f->user << (disable ? "; its tokens are revoked" : "")
                << "\n";
      return kExitOk;
    }));
  }

  auto* passwd = user->add_subcommand("passwd", "Set an account's password (lifts a lockout, ends its sessions)");
  passwd->add_option("id", f->user, "Account id")->required();
  passwd->add_flag("--password-stdin", f->password_stdin, "Read the password from one line of standard input");
  passwd->callback([url, rc, f] {
    auto p = ReadPassword(f->password_stdin, "New password for " + f->user + ": ", true);
    if (!p) {
      *rc = kExitBadInput;
      return;
    }
    NodeClient node(*url, ResolveToken(*url));
    Reply r = node.Post("/v1/users/" + f->user + "/password", {{"password", *p}});
    if (!Ok(r)) {
      *rc = Fail(r);
      return;
    }
    std::cout << "password of " << f->user << " changed; its sessions are ended\n";
    *rc = kExitOk;
  });
}

void AddAdminTokenCommands(CLI::App& admin, const std::string* url, const bool* as_json, int* rc, AccountFlags* f) {
  auto* token = admin.add_subcommand("token", "API tokens: your own, or (role admin) a system account's");
  token->require_subcommand(1);

  auto* create = token->add_subcommand("create", "Issue an API token (printed once; the node keeps only its hash)");
  create->add_option("--name", f->token_name, "What it is for (\"kh-cms import\")")->required();
  create->add_option("--expires", f->expires, "Lifetime: 90d, 12h, 30m (default: the node's, 365d)");
  create->add_option("--user", f->user, "A system account to issue it for (default: yourself)");
  create->callback(WithNode(url, rc, [as_json, f](NodeClient& node) {
    if (!f->expires.empty() && !ParseDuration(f->expires)) {
      std::cerr << "lintas: --expires: use a duration like 90d, 12h or 30m\n";
      return kExitBadInput;
    }
    json body{{"name", f->token_name}};
    if (!f->expires.empty()) body["expires"] = f->expires;
    if (!f->user.empty()) body["user"] = f->user;
    Reply r = node.Post("/v1/tokens", body);
    if (!Ok(r)) return Fail(r);
    if (*as_json) {
      std::cout << r.body.dump() << "\n";
    } else {
      // The token alone on stdout (for `TOKEN=$(...)`); the note on stderr.
      std::cout << r.body.value("token", "") << "\n";
      std::cerr << fmt::format("token {} ({}), expires {}; it is shown only this once\n", r.body.value("id", ""),
                               f->token_name, When(r.body.value("expires_at_us", int64_t{0})));
    }
    return kExitOk;
  }));

  auto* list = token->add_subcommand("list", "List tokens: yours, or (role admin) an account's or all");
  list->add_option("--user", f->user, "Another account's tokens (role admin)");
  list->add_flag("--all", f->all, "Every account's tokens (role admin)");
  list->callback(WithNode(url, rc, [as_json, f](NodeClient& node) {
    std::string path = "/v1/tokens";
    if (f->all) path += "?user=";
    else if (!f->user.empty()) path += "?user=" + Encode(f->user);
    Reply r = node.Get(path);
    if (!Ok(r)) return Fail(r);
    if (*as_json) std::cout << r.body.dump() << "\n";
    else PrintTokens(r.body.value("tokens", json::array()));
    return kExitOk;
  }));

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by its id (yours, or any with role admin)");
  revoke->add_option("id", f->token_id, "Token id (as `admin token list` shows it)")->required();
  revoke->callback(WithNode(url, rc, [f](NodeClient& node) {
    Reply r = node.Delete("/v1/tokens/" + Encode(f->token_id));
    if (!Ok(r)) return Fail(r);
    std::cout << "revoked token " << f->token_id << "\n";
    return kExitOk;
  }));
}

}  // namespace

void AddAccountCommands(CLI::App& app, const std::string* node_url, const bool* json, int* rc) {
  // One set of flags for all of them: only one subcommand runs per process.
  static AccountFlags flags;
  AddSelfCommands(app, node_url, json, rc, &flags);
  // `admin` may exist already (other command groups add to it).
  auto found = app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "admin"; });
  CLI::App* admin = found.empty() ? app.add_subcommand("admin", "Administration: accounts and tokens") : found.front();
  admin->require_subcommand(1);
  AddAdminUserCommands(*admin, node_url, json, rc, &flags);
  AddAdminTokenCommands(*admin, node_url, json, rc, &flags);
}

}  // namespace lintas::cli
