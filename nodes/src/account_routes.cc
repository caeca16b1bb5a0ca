// /v1/login, /v1/logout, /v1/me, /v1/users, /v1/tokens: logging in and out,
// one's own account, and the administrators' account and token management.
// Passwords and tokens are never logged, and no reply carries a password or
// token hash (a token itself only in the reply that issues it; HttpApi marks
// every reply Cache-Control: no-store).
#include <algorithm>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api_support.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"
#include "lintas/node/human_time.h"
#include "lintas/node/node.h"
#include "routes.h"

namespace lintas::node {
namespace {

using api::json;

constexpr const char* kUserId = R"(([a-z0-9._-]{1,64}))";
constexpr const char* kTokenId = R"(([0-9a-f]{1,64}))";
constexpr const char* kCookie = "lintas_session";

std::shared_ptr<spdlog::logger> Log() { return GetLogger("accounts"); }

json TokenJson(const TokenInfo& t, int64_t now_us) {
  json j = t.ToJson();
  j["state"] = t.revoked ? "revoked" : t.expires_us <= now_us ? "expired" : "active";
  return j;
}

// A session token as a cookie for the console: not readable by its scripts,
// never sent cross-site, and over TLS never sent in clear.
void SetSessionCookie(Node* node, httplib::Response& res, const std::string& token) {
  res.set_header("Set-Cookie", std::string(kCookie) + "=" + token + "; HttpOnly; SameSite=Strict; Path=/" +
                                   (node->config().api_tls() ? "; Secure" : ""));
}

void ClearSessionCookie(Node* node, httplib::Response& res) {
  res.set_header("Set-Cookie", std::string(kCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" +
                                   (node->config().api_tls() ? "; Secure" : ""));
}

// What a login (or a new password) hands back: for the console
// (`via_cookie`) the session cookie and the CSRF token, the token itself
// staying out of the scripts' reach; for the CLI and systems the token.
void HandOver(Node* node, httplib::Response& res, json& reply, const IssuedToken& issued, bool via_cookie) {
  reply["token_id"] = issued.id;
  reply["expires_at_us"] = issued.expires_us;
  if (via_cookie) {
    SetSessionCookie(node, res, issued.token);
    reply["csrf_token"] = api::CsrfToken(issued.token);
  } else {
    reply["token"] = issued.token;
  }
}

// The agencies accounts may belong to: the node's (empty: any).
std::vector<std::string> ServedAgencies(const NodeConfig& c) {
  if (!c.agencies.empty()) return c.agencies;
  if (!c.default_agency.empty()) return {c.default_agency};
  return {};
}

std::optional<bool> BoolField(const json& body, const char* field, httplib::Response& res) {
  if (!body.contains(field) || body[field].is_null()) return false;
  if (!body[field].is_boolean()) {
    api::Fail(res, errc::bad_input, field, std::string(field) + ": must be true or false");
    return std::nullopt;
  }
  return body[field].get<bool>();
}

std::optional<std::vector<std::string>> RolesField(const json& body, httplib::Response& res) {
  std::vector<std::string> roles;
  if (!body.contains("roles") || body["roles"].is_null()) return roles;  // AddUser names the omission
  bool ok = body["roles"].is_array();
  if (ok) {
    for (const auto& r : body["roles"]) {
      if (!r.is_string()) {
        ok = false;
        break;
      }
      roles.push_back(r.get<std::string>());
    }
  }
  if (!ok) {
    api::Fail(res, errc::bad_input, "roles", "roles: must be a list of role names, such as [\"officer\"]");
    return std::nullopt;
  }
  return roles;
}

// The account as JSON, after a change (404 if it vanished meanwhile).
void ReplyUser(Node* node, httplib::Response& res, const std::string& id, int status) {
  auto user = node->accounts().GetUser(id);
  if (!user.ok()) return api::ReplyError(res, user.error());
  if (!user->has_value()) return api::Fail(res, errc::not_found, "user", "user: no account '" + id + "'");
  api::Reply(res, status, api::UserJson(**user));
}

void AddLoginRoutes(httplib::Server& srv, Node* node) {
  srv.Post("/v1/login", [node](const httplib::Request& req, httplib::Response& res) {
    auto body = api::ParseObject(req, res);
    if (!body) return;
    auto user = api::StringField(*body, "user", res);
    if (!user) return;
    auto password = api::StringField(*body, "password", res);
    if (!password) return;
    if (user->empty()) return api::Fail(res, errc::bad_input, "user", "user: missing");
    auto mode = api::StringField(*body, "session", res, "token");
    if (!mode) return;
    if (*mode != "token" && *mode != "cookie") {
      return api::Fail(res, errc::bad_input, "session", "session: \"token\" (the default) or \"cookie\" (the console)");
    }
    auto issued = node->accounts().Login(*user, *password, api::Address(req), NowMicros());
    if (!issued.ok()) {
      const Error& e = issued.error();
      if (e.code == errc::rate_limited || e.code == errc::locked_out) res.set_header("Retry-After", "60");
      // The user field is logged only for a locked account (it exists):
      // people type passwords into the user field.
      Log()->info("event=login_refused address={} reason={}{}", api::Address(req), e.code.message(),
                  e.code == errc::locked_out ? " user=" + *user : std::string());
      return api::ReplyError(res, e);
    }
    auto account = node->accounts().GetUser(*user);
    if (!account.ok()) return api::ReplyError(res, account.error());
    if (!account->has_value()) return api::Fail(res, errc::unauthenticated, "password", "user or password is wrong");
    Log()->info("event=login user={} address={} token_id={}", *user, api::Address(req), issued->id);
    json reply{{"user", api::UserJson(**account)}};
    HandOver(node, res, reply, *issued, *mode == "cookie");
    api::Reply(res, 200, reply);
  });

  srv.Post("/v1/logout", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    if (auto s = node->accounts().Revoke(who->token_id); !s.ok()) return api::ReplyError(res, s.error());
    Log()->info("event=logout user={} token_id={}", who->user.id, who->token_id);
    ClearSessionCookie(node, res);
    res.status = 204;
  });
}

void AddMeRoutes(httplib::Server& srv, Node* node) {
  srv.Get("/v1/me", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    json me = api::UserJson(who->user);
    me["token_id"] = who->token_id;
    me["session"] = who->session;
    if (who->via_cookie) me["csrf_token"] = who->csrf_token;
    api::Reply(res, 200, me);
  });

  srv.Post("/v1/me/password", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    auto old_password = api::StringField(*body, "old_password", res);
    if (!old_password) return;
    auto new_password = api::StringField(*body, "new_password", res);
    if (!new_password) return;
    if (who->user.system) {
      return api::Fail(res, errc::bad_input, "new_password",
                       "new_password: a system account has no password (it uses API tokens)");
    }
    AccountStore& accounts = node->accounts();
    const std::string address = api::Address(req);
    // The old password is checked as a login would be: failures count
    // towards the lockout and the address limit. (Its session is ended by
    // SetPassword below with the others.)
    auto check = accounts.Login(who->user.id, *old_password, address, NowMicros());
    if (!check.ok()) {
      Error e = check.error();
      if (e.code == errc::unauthenticated) {
        e = Error{errc::bad_input, "old_password: is wrong", "old_password"};
      }
      return api::ReplyError(res, e);
    }
    if (auto s = accounts.SetPassword(who->user.id, *new_password); !s.ok()) {
      (void)accounts.Revoke(check->id);  // best effort: it ends when idle anyway
      Error e = s.error();
      if (e.field == "password") {
        e = Error{e.code, "new_password" + e.message.substr(std::string("password").size()), "new_password"};
      }
      return api::ReplyError(res, e);
    }
    Log()->info("event=password_changed user={} by=self", who->user.id);
    json reply{{"changed", true}, {"user", who->user.id}};
    if (who->session) {
      // Every session ended, the caller's too: give the caller a fresh one.
      auto fresh = accounts.Login(who->user.id, *new_password, address, NowMicros());
      if (fresh.ok()) HandOver(node, res, reply, *fresh, who->via_cookie);
    }
    api::Reply(res, 200, reply);
  });

  srv.Put("/v1/me/language", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    auto language = api::StringField(*body, "language", res);
    if (!language) return;
    if (language->empty()) return api::Fail(res, errc::bad_input, "language", "language: missing");
    if (auto s = node->accounts().SetLanguage(who->user.id, *language); !s.ok()) {
      return api::ReplyError(res, s.error());
    }
    ReplyUser(node, res, who->user.id, 200);
  });
}

// An administrator manages the accounts of their own agency only: an admin
// of one agency must not be able to become an officer of another.
bool SameAgency(Node* node, const Principal& admin, const std::string& id, httplib::Response& res) {
  auto target = node->accounts().GetUser(id);
  if (!target.ok()) {
    api::ReplyError(res, target.error());
    return false;
  }
  if (!target->has_value() || (*target)->agency != admin.user.agency) {
    api::Fail(res, errc::not_found, "user", "user: no account '" + id + "' of " + admin.user.agency);
    return false;
  }
  return true;
}

void AddUserRoutes(httplib::Server& srv, Node* node) {
  srv.Post("/v1/users", [node](const httplib::Request& req, httplib::Response& res) {
    auto admin = api::Require(*node, req, res, {"admin"});
    if (!admin) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    User u;
    auto id = api::StringField(*body, "id", res);
    if (!id) return;
    auto agency = api::StringField(*body, "agency", res);
    if (!agency) return;
    auto roles = RolesField(*body, res);
    if (!roles) return;
    auto language = api::StringField(*body, "language", res, "en");
    if (!language) return;
    auto display_name = api::StringField(*body, "display_name", res);
    if (!display_name) return;
    auto system = BoolField(*body, "system", res);
    if (!system) return;
    auto password = api::StringField(*body, "password", res);
    if (!password) return;
    auto served = ServedAgencies(node->config());
    if (agency->empty()) return api::Fail(res, errc::bad_input, "agency", "agency: missing");
    if (*agency != admin->user.agency) {
      return api::Fail(res, errc::forbidden, "agency",
                       "agency: an administrator of " + admin->user.agency + " creates accounts of that agency only");
    }
    if (!served.empty() && std::find(served.begin(), served.end(), *agency) == served.end()) {
      std::string list;
      for (const auto& a : served) list += (list.empty() ? "" : ", ") + a;
      return api::Fail(res, errc::forbidden, "agency",
                       "agency: this node serves only " + list + "; accounts of '" + *agency + "' belong elsewhere");
    }
    u.id = *id;
    u.agency = *agency;
    u.roles = std::move(*roles);
    u.language = *language;
    u.display_name = *display_name;
    u.system = *system;
    if (auto s = node->accounts().AddUser(u, *password, NowMicros()); !s.ok()) return api::ReplyError(res, s.error());
    Log()->info("event=user_added user={} agency={} system={} by={}", u.id, u.agency, u.system, admin->user.id);
    ReplyUser(node, res, u.id, 201);
  });

  srv.Get("/v1/users", [node](const httplib::Request& req, httplib::Response& res) {
    auto admin = api::Require(*node, req, res, {"admin"});
    if (!admin) return;
    auto users = node->accounts().ListUsers();
    if (!users.ok()) return api::ReplyError(res, users.error());
    json list = json::array();
    for (const auto& u : *users) {
      if (u.agency == admin->user.agency) list.push_back(api::UserJson(u));
    }
    api::Reply(res, 200, {{"users", list}});
  });

  auto set_disabled = [node](bool disabled) {
    return [node, disabled](const httplib::Request& req, httplib::Response& res) {
      auto admin = api::Require(*node, req, res, {"admin"});
      if (!admin) return;
      std::string id = req.matches[1];
      if (!SameAgency(node, *admin, id, res)) return;
      if (disabled && id == admin->user.id) {
        return api::Fail(res, errc::conflict, "user",
                         "user: you cannot disable your own account (another administrator can)");
      }
      if (auto s = node->accounts().SetDisabled(id, disabled); !s.ok()) return api::ReplyError(res, s.error());
      Log()->info("event={} user={} by={}", disabled ? "user_disabled" : "user_enabled", id, admin->user.id);
      ReplyUser(node, res, id, 200);
    };
  };
  srv.Post(std::string("/v1/users/") + kUserId + "/disable", set_disabled(true));
  srv.Post(std::string("/v1/users/") + kUserId + "/enable", set_disabled(false));

  srv.Post(std::string("/v1/users/") + kUserId + "/password",
           [node](const httplib::Request& req, httplib::Response& res) {
             auto admin = api::Require(*node, req, res, {"admin"});
             if (!admin) return;
             auto body = api::ParseObject(req, res);
             if (!body) return;
             auto password = api::StringField(*body, "password", res);
             if (!password) return;
             std::string id = req.matches[1];
             if (!SameAgency(node, *admin, id, res)) return;
             if (auto s = node->accounts().SetPassword(id, *password); !s.ok()) {
               return api::ReplyError(res, s.error());
             }
             Log()->info("event=password_changed user={} by={}", id, admin->user.id);
             ReplyUser(node, res, id, 200);
           });
}

void AddTokenRoutes(httplib::Server& srv, Node* node) {
  srv.Post("/v1/tokens", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    auto body = api::ParseObject(req, res);
    if (!body) return;
    auto name = api::StringField(*body, "name", res);
    if (!name) return;
    auto expires = api::StringField(*body, "expires", res);
    if (!expires) return;
    auto user = api::StringField(*body, "user", res, who->user.id);
    if (!user) return;
    int64_t ttl = 0;
    if (!expires->empty()) {
      auto d = ParseDuration(*expires);
      if (!d) return api::Fail(res, errc::bad_input, "expires", "expires: use a duration like 90d, 12h or 30m");
      ttl = *d;
    }
    if (*user != who->user.id) {
      if (!who->user.Has("admin")) {
        return api::Fail(res, errc::forbidden, "user",
                         "user: only an administrator issues tokens for another account");
      }
      auto target = node->accounts().GetUser(*user);
      if (!target.ok()) return api::ReplyError(res, target.error());
      if (!target->has_value()) return api::Fail(res, errc::not_found, "user", "user: no account '" + *user + "'");
      if (!(*target)->system) {
        return api::Fail(res, errc::forbidden, "user",
                         "user: tokens for another account are issued only for system accounts; '" + *user +
                             "' is a person, who logs in or creates their own");
      }
    }
    auto issued = node->accounts().IssueApiToken(*user, *name, ttl, NowMicros());
    if (!issued.ok()) return api::ReplyError(res, issued.error());
    Log()->info("event=token_issued user={} token_id={} by={}", *user, issued->id, who->user.id);
    api::Reply(res, 201, {{"token", issued->token}, {"id", issued->id}, {"expires_at_us", issued->expires_us}});
  });

  srv.Get("/v1/tokens", [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    std::string user = req.has_param("user") ? req.get_param_value("user") : who->user.id;
    if (user != who->user.id && !who->user.Has("admin")) {
      return api::Fail(res, errc::forbidden, "user", "user: only an administrator lists another account's tokens");
    }
    auto tokens = node->accounts().Tokens(user);  // empty (admin, ?user=): every account's
    if (!tokens.ok()) return api::ReplyError(res, tokens.error());
    int64_t now = NowMicros();
    json list = json::array();
    for (const auto& t : *tokens) list.push_back(TokenJson(t, now));
    api::Reply(res, 200, {{"tokens", list}});
  });

  srv.Delete(std::string("/v1/tokens/") + kTokenId, [node](const httplib::Request& req, httplib::Response& res) {
    auto who = api::Authenticate(*node, req, res);
    if (!who) return;
    std::string id = req.matches[1];
    auto info = node->accounts().Token(id);
    if (!info.ok()) return api::ReplyError(res, info.error());
    // Another account's token looks like no token at all to a non-admin.
    if (!info->has_value() || ((*info)->user != who->user.id && !who->user.Has("admin"))) {
      return api::Fail(res, errc::not_found, "token", "token: no token '" + id + "'");
    }
    if (auto s = node->accounts().Revoke(id); !s.ok()) return api::ReplyError(res, s.error());
    Log()->info("event=token_revoked user={} token_id={} by={}", (*info)->user, id, who->user.id);
    if (id == who->token_id) ClearSessionCookie(node, res);
    res.status = 204;
  });
}

}  // namespace

void AddAccountRoutes(httplib::Server& srv, Node* node) {
  AddLoginRoutes(srv, node);
  AddMeRoutes(srv, node);
  AddUserRoutes(srv, node);
  AddTokenRoutes(srv, node);
}

}  // namespace lintas::node
