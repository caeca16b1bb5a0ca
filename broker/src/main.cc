// lintas-broker: the regional broker process.
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "lintas/broker/broker.h"
#include "lintas/common/file_util.h"
#include "lintas/common/shutdown.h"
#include "lintas/broker/logger.h"

int main(int argc, char** argv) {
  CLI::App app{"lintas-broker: the Lintas regional broker"};
  std::string config_path;
  bool check_only = false;
  std::string endpoint_file;
  app.add_option("-c,--config", config_path, "TOML configuration file")->required();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  app.add_option("--endpoint-file", endpoint_file,
                 "Write the bound endpoint to this file once listening");
  bool accept_damage = false;
  app.add_flag("--accept-damaged-log", accept_damage,
               "The log no longer matches its last signed checkpoint (restored or truncated) and you accept "
               "it: sign a new history from the log as it is (nodes will report the break)");
  CLI11_PARSE(app, argc, argv);

  lintas::broker::BrokerConfig config;
  try {
    config = lintas::broker::LoadConfig(config_path);
  } catch (const lintas::broker::ConfigError& e) {
    std::cerr << "lintas-broker: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration OK: " << config.nodes.size() << " nodes, " << config.agencies.size()
              << " agencies, endpoint " << config.endpoint << "\n";
    return 0;
  }
  if (!endpoint_file.empty()) config.endpoint_file = endpoint_file;
  config.audit_accept_damage = accept_damage;
  lintas::ConfigureLogging(config.log_level, config.log_json);

  // Signals go to one waiting thread, never to the loop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    lintas::broker::Broker broker(config);
    std::string endpoint = broker.Bind();
    if (!config.endpoint_file.empty()) lintas::WriteFileAtomically(config.endpoint_file, endpoint);
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      lintas::broker::Log()->info("signal {} received: shutting down", sig);
      broker.Stop();
    });
    try {
      broker.Run();
    } catch (const std::exception& e) {
      // Never std::terminate: say why, wake the waiter, exit non-zero.
      lintas::broker::Log()->critical("the broker loop stopped by an unexpected error: {}", e.what());
      lintas::RequestShutdown(1);
    }
    // Run() returns after Stop(), which the waiter calls on a signal.
    waiter.join();
  } catch (const std::exception& e) {
    lintas::broker::Log()->critical("cannot start: {}", e.what());
    return 1;
  }
  return lintas::RequestedExitCode();
}
