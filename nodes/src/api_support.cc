// HTTP API helpers: replies, errors, authentication.
#include "api_support.h"

#include <sodium.h>

#include "lintas/common/clock.h"
#include "lintas/node/node.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/errc.h"
#include "lintas/wire/limits.h"

namespace lintas::node::api {

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // With the charset, cpp-httplib does not compress the reply: the Debian
  // build would use Brotli at its slowest quality (940 ms for the 700 KB of
  // a 500-case inbox, against 40 ms to build it).
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
}

void ReplyError(httplib::Response& res, const Error& e) {
  int status = 500;
  std::string code = e.code.message();
  if (e.code.category() == NodeCategory()) {
    status = HttpStatus(static_cast<errc>(e.code.value()));
  } else if (e.code.category() == wire::WireCategory()) {
    switch (static_cast<wire::errc>(e.code.value())) {
      case wire::errc::message_too_large: status = 413; break;
      case wire::errc::json_invalid:
      case wire::errc::event_invalid:
      case wire::errc::event_unverifiable:
      case wire::errc::wrong_identifier:
      case wire::errc::origin_mismatch:
      case wire::errc::unknown_destination:
      case wire::errc::justification_required:
        status = 400;
        break;
      case wire::errc::not_found: status = 404; break;
      case wire::errc::permission_denied: status = 403; break;
      default: break;
    }
  } else {
    code = "internal";
  }
  Reply(res, status, {{"error", {{"code", code}, {"field", e.field}, {"message", e.message}}}});
}

void Fail(httplib::Response& res, errc code, const std::string& field, const std::string& message) {
  ReplyError(res, Error{code, message, field});
}

namespace {

// The token of the request: the Authorization header's, else the session
// cookie's (`from_cookie` then set: the browser sends it by itself, so a
// state change needs the CSRF token as well).
std::string BearerToken(const httplib::Request& req, bool* from_cookie) {
  *from_cookie = false;
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  *from_cookie = true;
  std::string cookies = req.get_header_value("Cookie");
  const std::string name = "lintas_session=";
  for (size_t pos = 0; pos < cookies.size();) {
    while (pos < cookies.size() && (cookies[pos] == ' ' || cookies[pos] == ';')) ++pos;
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    if (cookies.compare(pos, name.size(), name) == 0) return cookies.substr(pos + name.size(), end - pos - name.size());
    pos = end;
  }
  return {};
}

bool SafeMethod(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

// A state change through the session cookie must come from the console's
// own pages: the X-CSRF-Token header (which only a page of this origin can
// read from /v1/me or the login reply) and, when the browser names one, an
// Origin of this host.
bool CsrfChecked(const httplib::Request& req, const std::string& token, httplib::Response& res) {
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    std::string host = req.get_header_value("Host");
    auto scheme_end = origin.find("://");
    if (host.empty() || scheme_end == std::string::npos || origin.substr(scheme_end + 3) != host) {
      Fail(res, errc::forbidden, "Origin", "Origin: a state change must come from this node's console");
      return false;
    }
  }
  std::string sent = req.get_header_value("X-CSRF-Token");
  std::string expected = CsrfToken(token);
  if (sent.size() != expected.size() || sodium_memcmp(sent.data(), expected.data(), sent.size()) != 0) {
    Fail(res, errc::forbidden, "X-CSRF-Token",
         "X-CSRF-Token: missing or wrong; a change made with the session cookie needs the console's CSRF token "
         "(reload the page)");
    return false;
  }
  return true;
}

}  // namespace

std::string CsrfToken(const std::string& session_token) {
  static constexpr unsigned char kKey[] = "lintas-console-csrf-v1";
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(session_token.data()),
                     session_token.size(), kKey, sizeof kKey - 1);
  return wire::ToHex(std::span<const uint8_t>(out, sizeof out));
}

std::optional<Principal> Authenticate(Node& node, const httplib::Request& req, httplib::Response& res) {
  bool from_cookie = false;
  std::string token = BearerToken(req, &from_cookie);
  if (token.empty()) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"lintas-node\"");
    Fail(res, errc::unauthenticated, "Authorization",
         "log in first (lintas login, or POST /v1/login) and send the token as 'Authorization: Bearer ...'");
    return std::nullopt;
  }
  auto who = node.accounts().Authenticate(token, NowMicros());
  if (!who.ok()) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"lintas-node\", error=\"invalid_token\"");
    ReplyError(res, who.error());
    return std::nullopt;
  }
  if (from_cookie && !SafeMethod(req.method) && !CsrfChecked(req, token, res)) return std::nullopt;
  who->via_cookie = from_cookie;
  if (from_cookie) who->csrf_token = CsrfToken(token);
  return std::move(who).value();
}

std::optional<Principal> Require(Node& node, const httplib::Request& req, httplib::Response& res,
                                 std::initializer_list<std::string_view> roles) {
  auto who = Authenticate(node, req, res);
  if (!who) return std::nullopt;
  for (auto role : roles) {
    if (who->user.Has(role)) return who;
  }
  std::string names;
  for (auto role : roles) names += (names.empty() ? "" : " or ") + std::string(role);
  Fail(res, errc::forbidden, "role", "this needs the role " + names + "; account '" + who->user.id + "' has not");
  return std::nullopt;
}

std::optional<json> ParseObject(const httplib::Request& req, httplib::Response& res) {
  if (req.body.size() > wire::kMaxJsonBytes) {
    ReplyError(res, Error{wire::errc::message_too_large, "body: larger than 1 MiB", "body"});
    return std::nullopt;
  }
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    Fail(res, errc::bad_input, "body", "body: is not a JSON object");
    return std::nullopt;
  }
  return j;
}

std::optional<std::string> StringField(const json& body, const char* field, httplib::Response& res,
                                       const std::string& fallback) {
  if (!body.contains(field) || body[field].is_null()) return fallback;
  if (!body[field].is_string()) {
    Fail(res, errc::bad_input, field, std::string(field) + ": must be a string");
    return std::nullopt;
  }
  return body[field].get<std::string>();
}

std::string Address(const httplib::Request& req) { return req.remote_addr; }

std::string Justification(const httplib::Request& req) {
  std::string j = req.has_param("justification") ? req.get_param_value("justification") : "";
  if (j.empty()) j = req.get_header_value("X-Lintas-Justification");
  return j.substr(0, 1000);
}

bool MayReadCase(Node& node, const Principal& who, const std::string& case_id, const std::string& justification,
                 httplib::Response& res) {
  bool worker = who.user.Has("officer") || who.user.Has("supervisor");
  if (who.user.Has("auditor") && !worker) {
    if (justification.empty()) {
      Fail(res, errc::justification_required, "justification",
           "justification: an auditor's read needs one (?justification=... or --justification)");
      return false;
    }
    return true;
  }
  if (!worker) {
    Fail(res, errc::forbidden, "role", "reading cases needs the role officer, supervisor or auditor");
    return false;
  }
  if (case_id.empty()) return true;
  auto party = node.cases().IsParty(case_id, who.user.agency);
  if (!party.ok()) {
    ReplyError(res, party.error());
    return false;
  }
  if (!*party) {
    // Not found rather than forbidden: a case of other agencies is not
    // confirmed to exist.
    Fail(res, errc::not_found, "id", "no such case or item of " + who.user.agency + " on this node");
    return false;
  }
  return true;
}

bool LogRead(Node& node, const Principal& who, const httplib::Request& req, const std::string& action,
             const std::string& case_id, std::vector<std::string> event_ids, httplib::Response& res) {
  AccessEntry entry;
  entry.user = who.user.id;
  entry.agency = who.user.agency;
  for (const auto& r : who.user.roles) entry.roles += (entry.roles.empty() ? "" : ",") + r;
  entry.action = action;
  entry.case_id = case_id;
  entry.event_ids = std::move(event_ids);
  entry.justification = Justification(req);
  entry.address = Address(req);
  auto logged = node.access_log().Append(std::move(entry));
  if (!logged.ok()) {
    Fail(res, errc::storage, "", "the read cannot be recorded in the consultation log, so it is not shown");
    return false;
  }
  return true;
}

json UserJson(const User& u) {
  return {{"id", u.id},           {"agency", u.agency},   {"roles", u.roles},
          {"language", u.language}, {"display_name", u.display_name}, {"system", u.system},
          {"disabled", u.disabled}, {"created_at_us", u.created_us},
          {"locked_until_us", u.locked_until_us}};
}

}  // namespace lintas::node::api
