// The HTTP API's route groups, one file each; HttpApi registers them all.
// Private to lintas::node. Handlers run on the server's worker threads and
// use only the node's thread-safe methods.
#pragma once

namespace httplib {
class Server;
}

namespace lintas::node {

class Node;

// /v1/login, /v1/logout, /v1/me, /v1/users, /v1/tokens (account_routes.cc)
void AddAccountRoutes(httplib::Server& srv, Node* node);
// /v1/events, /v1/inbox, /v1/readers, /v1/examples, /v1/subscriptions (event_routes.cc)
void AddEventRoutes(httplib::Server& srv, Node* node);
// /v1/cases, /v1/items, /v1/referrals, /v1/requests, /v1/alerts, /v1/overdue (case_routes.cc)
void AddCaseRoutes(httplib::Server& srv, Node* node);
// /v1/audit/local (audit_routes.cc)
void AddAuditRoutes(httplib::Server& srv, Node* node);
// GET /v1/audit/witnesses (witness_routes.cc).
void AddWitnessRoutes(httplib::Server& srv, Node* node);
// /, /console/..., /v1/changes, /v1/directory (console_routes.cc)
void AddConsoleRoutes(httplib::Server& srv, Node* node);
// /v1/statistics, /v1/stats (statistics_routes.cc)
void AddStatisticsRoutes(httplib::Server& srv, Node* node);

}  // namespace lintas::node
