// lintas-node: a country's gateway to the Lintas broker.
#include <csignal>
#include <fstream>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "lintas/common/file_util.h"
#include "lintas/common/logging.h"
#include "lintas/common/shutdown.h"
#include "lintas/node/node.h"
#include "seal_key_command.h"
#include "user_command.h"

int main(int argc, char** argv) {
  // `lintas-node user ...`: offline account administration.
  if (argc > 1 && std::string_view(argv[1]) == "user") return lintas::node::RunUserCommand(argc, argv);
  CLI::App app{"lintas-node: a country's gateway to the Lintas regional broker"};
  std::string config_path;
  bool check_only = false;
  bool print_seal_key = false;
  bool rotate_seal_key = false;
  app.add_option("-c,--config", config_path, "TOML configuration file")->required();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  app.add_flag("--print-seal-key", print_seal_key,
               "Print the node's current seal public key (creating the key file if absent), for the broker's "
               "[[nodes]] seal_public_key, and exit");
  app.add_flag("--rotate-seal-key", rotate_seal_key,
               "Put a new seal key in front of the key file (the old ones stay: they open old cases), print its "
               "public key and exit; run with the node stopped");
  CLI11_PARSE(app, argc, argv);

  lintas::node::NodeConfig config;
  try {
    config = lintas::node::LoadNodeConfig(config_path);
  } catch (const lintas::node::NodeConfigError& e) {
    std::cerr << "lintas-node: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (print_seal_key || rotate_seal_key) return lintas::node::RunSealKeyCommand(config, rotate_seal_key);
  if (check_only) {
    std::cout << "configuration OK: node " << config.id << " (" << config.country << "), broker "
              << config.broker_endpoint << "\n";
    return 0;
  }
  lintas::ConfigureLogging(config.log_level, config.log_json);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    lintas::node::Node node(config);
    uint16_t port = node.Start();
    lintas::GetLogger("node")->info("API listening on http://{}:{} node={}", config.api_address,
                                    port, config.id);
    if (!config.api_port_file.empty()) lintas::WriteFileAtomically(config.api_port_file, std::to_string(port));
    int sig = 0;
    sigwait(&signals, &sig);
    lintas::GetLogger("node")->info("signal {} received: stopping", sig);
    node.Stop();
  } catch (const std::exception& e) {
    lintas::GetLogger("node")->critical("cannot start: {}", e.what());
    return 1;
  }
  return lintas::RequestedExitCode();
}
