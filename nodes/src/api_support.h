// Helpers shared by the HTTP API's route files: JSON replies, error bodies,
// authentication of the caller, size-capped body parsing. Private to
// lintas::node.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/node/account_store.h"
#include "lintas/node/errc.h"

namespace lintas::node {

class Node;

namespace api {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const json& body);
// {"error": {"code", "field", "message"}} with the status the code maps to
// (node::errc or wire::errc; anything else 500).
void ReplyError(httplib::Response& res, const Error& e);
// A node::errc error naming `field`.
void Fail(httplib::Response& res, errc code, const std::string& field, const std::string& message);

// The caller, from "Authorization: Bearer <token>" or the session cookie
// (lintas_session); answers 401 and returns nullopt when there is none.
// The console's CSRF token of a session: a keyed hash of the session token,
// so it needs no storage and dies with the session.
std::string CsrfToken(const std::string& session_token);
std::optional<Principal> Authenticate(Node& node, const httplib::Request& req, httplib::Response& res);
// As Authenticate, and the caller must hold one of `roles` (403 otherwise).
std::optional<Principal> Require(Node& node, const httplib::Request& req, httplib::Response& res,
                                 std::initializer_list<std::string_view> roles);

// The body as a JSON object (an empty body is {}); 413 over the cap, 400 if
// not an object. nullopt when it answered.
std::optional<json> ParseObject(const httplib::Request& req, httplib::Response& res);

// A string field: absent -> fallback; not a string -> 400 naming it.
std::optional<std::string> StringField(const json& body, const char* field, httplib::Response& res,
                                       const std::string& fallback = {});

// The remote address (for login rate limits and the consultation log).
std::string Address(const httplib::Request& req);

// Whether `who` may read case `case_id` (empty: an event outside any case,
// such as an alert): officers and supervisors of a party agency; auditors
// (data-protection officers) of any case, with a justification
// (?justification=...). Answers 400/403/404 and returns false otherwise.
bool MayReadCase(Node& node, const Principal& who, const std::string& case_id,
                 const std::string& justification, httplib::Response& res);
// Records the read in the node's consultation log before anything is shown;
// answers 500 and returns false when it cannot be recorded.
bool LogRead(Node& node, const Principal& who, const httplib::Request& req, const std::string& action,
             const std::string& case_id, std::vector<std::string> event_ids, httplib::Response& res);
// The ?justification= parameter.
std::string Justification(const httplib::Request& req);

// A principal as JSON for /v1/me and audit views (never a password hash).
json UserJson(const User& user);

}  // namespace api
}  // namespace lintas::node
