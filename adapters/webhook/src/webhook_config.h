// The webhook adapter's configuration (TOML), every option with its default.
// Loaded once at start-up; LoadWebhookConfig throws ConfigError naming the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lintas::webhook {

// One agency system that receives events.
struct EndpointConfig {
  // A name for logs, metrics and the dead-letter queue ([a-z0-9_.-]{1,64}). Required.
  std::string name;
  // Where events are POSTed: https://... (http:// only with allow_http). Required.
  std::string url;
  // A file holding one or two Standard Webhooks secrets ("whsec_" + base64), one per line. Every event is signed
  // with each (two during a rotation). Required.
  std::string secrets_file;
  // The adapter's reader cursor at the node, one per endpoint. Default: "webhook-<name>".
  std::string reader;
  // Deliver the events addressed to the token's agency. Default: true.
  bool inbox = true;
  // Also deliver the distributed events (alerts) that match these named subscriptions of the node. Default: none.
  std::vector<std::string> subscriptions;
  // How long one call may take before it counts as failed. Default: 10s.
  int64_t timeout_us = 10'000'000;
  // Calls per event before it goes to the dead-letter queue. Default: 8.
  uint32_t max_attempts = 8;
  // The first retry waits about this long, doubling each time (with full jitter). Default: 1s.
  int64_t backoff_initial_us = 1'000'000;
  // No wait between retries exceeds this. Default: 5m.
  int64_t backoff_max_us = 300'000'000;
  // Cases delivered in parallel; the events of one case always go one after the other, in order. Default: 4.
  uint32_t lanes = 4;
  // Verify the endpoint's TLS certificate and host name. Default: true. Turning it off is for tests only.
  bool verify_tls = true;
  // Extra CA certificates (PEM) for the endpoint. Default: the system's store.
  std::string ca_file;
  // Allow a plaintext http:// endpoint (tests and demos only; logged as a warning). Default: false.
  bool allow_http = false;
};

struct WebhookConfig {
  // The node's HTTP API. Default: http://127.0.0.1:7480.
  std::string node_url = "http://127.0.0.1:7480";
  // A file holding an API token of the agency system's account (role officer). Required.
  std::string token_file;
  // CA certificates (PEM) for an https:// node. Default: the system's store.
  std::string node_ca_file;
  // Where the dead-letter queue is kept. Required.
  std::string data_dir;
  // The adapter's own HTTP listener (metrics, dead-letter queue), host:port. Default: 127.0.0.1:7490.
  std::string admin_listen = "127.0.0.1:7490";
  // Write the admin address actually bound (port 0: any free port) to this file. Default: none.
  std::string admin_endpoint_file;
  // How long to wait before polling an empty inbox again. Default: 1s.
  int64_t poll_interval_us = 1'000'000;
  // Inbox events read per page. Default: 100 (1..1000).
  uint32_t page_size = 100;
  // Log format: "text" or "json". Default: text.
  std::string log_format = "text";
  std::vector<EndpointConfig> endpoints;
};

// Reads and checks the file (ConfigError naming the key on any mistake).
// Relative paths are taken from the config file's folder.
WebhookConfig LoadWebhookConfig(const std::string& path);

}  // namespace lintas::webhook
