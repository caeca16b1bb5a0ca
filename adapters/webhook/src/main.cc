// lintas-webhook: delivers a node's inbox to agency systems' HTTPS endpoints
// (Standard Webhooks), with a dead-letter queue. See adapters/webhook/README.md.
#include <signal.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <prometheus/registry.h>

#include "admin_server.h"
#include "endpoint_worker.h"
#include "lintas/common/file_util.h"
#include "lintas/common/logging.h"
#include "lintas/common/toml_reader.h"
#include "node_api.h"
#include "signer.h"
#include "stopper.h"
#include "webhook_config.h"

namespace lintas::webhook {
namespace {

std::string ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("node.token_file: cannot read " + path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.rfind("lnt_", 0) != 0) throw ConfigError("node.token_file: " + path + " does not hold an lnt_ token");
  return token;
}

// Everything --check-config checks beyond the file itself: the token file
// and every endpoint's secrets.
std::vector<Signer> LoadSigners(const WebhookConfig& c) {
  ReadToken(c.token_file);
  std::vector<Signer> signers;
  for (const auto& e : c.endpoints) {
    auto s = Signer::FromFile(e.secrets_file);
    if (!s.ok()) throw ConfigError(fmt::format("endpoints ({}).secrets_file: {}", e.name, s.error().message));
    signers.push_back(std::move(*s));
  }
  return signers;
}

void WarnInsecure(const WebhookConfig& c) {
  for (const auto& e : c.endpoints) {
    if (e.url.rfind("http://", 0) == 0) {
      GetLogger("webhook")->warn("endpoint={} is PLAINTEXT http:// (allow_http): events cross the network "
                                 "unencrypted. Tests and demos only.",
                                 e.name);
    }
    if (!e.verify_tls) {
      GetLogger("webhook")->warn("endpoint={} does NOT verify TLS certificates (verify_tls = false). Tests only.",
                                 e.name);
    }
  }
}

// The adapter's agency, from its own token. Waits (1 s polls) while the node
// is unreachable; returns "" when a signal arrives first. A token the node
// refuses is a configuration error.
std::string WhoAmI(const NodeApi& node, const std::string& token, const sigset_t& signals) {
  for (bool warned = false;;) {
    auto me = node.Me(token);
    if (me.ok()) return me->value("agency", "");
    if (me.error().code == std::errc::permission_denied) {
      throw ConfigError("node.token_file: the node refuses the token (" + me.error().message + ")");
    }
    if (!warned) GetLogger("webhook")->warn("waiting for the node: {}", me.error().message);
    warned = true;
    timespec wait{1, 0};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return "";
  }
}

int Serve(const WebhookConfig& config, std::vector<Signer> signers, const sigset_t& signals) {
  auto log = GetLogger("webhook");
  WarnInsecure(config);
  const std::string token = ReadToken(config.token_file);
  NodeApi node(config.node_url, token, config.node_ca_file);
  std::string agency = WhoAmI(node, token, signals);
  if (agency.empty()) return 0;
  prometheus::Registry registry;
  std::vector<std::unique_ptr<EndpointWorker>> workers;
  std::vector<EndpointWorker*> views;
  for (size_t i = 0; i < config.endpoints.size(); ++i) {
    const auto& e = config.endpoints[i];
    auto dlq = DeadLetters::Open(config.data_dir + "/dlq/" + e.name);
    if (!dlq.ok()) throw ConfigError("adapter.data_dir: " + dlq.error().message);
    workers.push_back(
        std::make_unique<EndpointWorker>(config, e, node, std::move(*dlq), std::move(signers[i]), registry));
    views.push_back(workers.back().get());
  }
  AdminServer admin(node, agency, views, registry);
  uint16_t port = admin.Start(config.admin_listen);
  std::string host = config.admin_listen.substr(0, config.admin_listen.rfind(':'));
  if (!config.admin_endpoint_file.empty()) {
    WriteFileAtomically(config.admin_endpoint_file, fmt::format("http://{}:{}", host, port));
  }
  log->info("lintas-webhook agency={} node={} admin=http://{}:{} endpoints={}", agency, config.node_url, host, port,
            config.endpoints.size());
  Stopper stop;
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&stop, w = w.get()] { w->Run(stop); });
  int sig = 0;
  sigwait(&signals, &sig);
  log->info("signal {} received: stopping", sig);
  stop.Stop();
  for (auto& t : threads) t.join();
  admin.Stop();
  return 0;
}

}  // namespace
}  // namespace lintas::webhook

int main(int argc, char** argv) {
  using namespace lintas;
  CLI::App app{"lintas-webhook: delivers a Lintas node's inbox to agency systems (Standard Webhooks)"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "TOML configuration file (adapters/webhook/README.md)")->required();
  app.add_flag("--check-config", check_only, "Validate the configuration, the token file and the secrets, and exit");
  CLI11_PARSE(app, argc, argv);
  webhook::WebhookConfig config;
  std::vector<webhook::Signer> signers;
  try {
    config = webhook::LoadWebhookConfig(config_path);
    signers = webhook::LoadSigners(config);
  } catch (const ConfigError& e) {
    std::cerr << "lintas-webhook: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration OK: " << config.endpoints.size() << " endpoint(s), node " << config.node_url << "\n";
    return 0;
  }
  ConfigureLogging("info", config.log_format == "json");
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    return webhook::Serve(config, std::move(signers), signals);
  } catch (const std::exception& e) {
    GetLogger("webhook")->critical("cannot start: {}", e.what());
    return 1;
  }
}
