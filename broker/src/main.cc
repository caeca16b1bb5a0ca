// lintas-broker: the regional broker process.
#include <csignal>
#include <fstream>
#include <iostream>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "allocator_trim.h"
#include "lintas/broker/broker.h"
#include "lintas/common/file_util.h"
#include "lintas/common/shutdown.h"
#include "lintas/broker/logger.h"
#include "lintas/store/jetstream_lease.h"

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

  // Signals: one waiting thread; it stops a standby's wait or the broker.
  std::atomic<bool> stop{false};
  std::atomic<lintas::broker::Broker*> running{nullptr};
  std::mutex broker_mu;  // guards the broker's creation against a signal's Stop
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    lintas::broker::Log()->info("signal {} received: shutting down", sig);
    std::lock_guard<std::mutex> lock(broker_mu);
    stop = true;
    if (auto* b = running.load()) b->Stop();
  });
  auto wake_waiter = [&] {
    if (!stop.load()) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  };

  try {
    // JetStream: only the lease's holder serves; the others stand by, bound
    // to nothing, until it lapses.
    std::unique_ptr<lintas::store::JetStreamLease> lease;
    if (config.store_backend == lintas::broker::StoreBackend::kJetStream) {
      char host[256] = {0};
      gethostname(host, sizeof host - 1);
      std::string holder = config.id + "@" + host + ":" + std::to_string(getpid());
      auto connected = lintas::store::JetStreamLease::Connect(config.jetstream, holder);
      if (!connected.ok()) throw std::runtime_error("lease: " + connected.error().message);
      lease = std::move(*connected);
      if (auto s = lease->Acquire(stop); !s.ok()) {
        wake_waiter();
        return lintas::RequestedExitCode();
      }
      lease->StartRenewing([](const std::string& why) {
        // Stop at once: another broker may be taking over. Nothing
        // acknowledged is lost (acks follow the stream's), and a batch in
        // flight is refused by the stream's sequence check anyway.
        lintas::broker::Log()->critical("stopping: {}; a standby takes over", why);
        spdlog::shutdown();
        std::_Exit(75);
      });
    }
    // tcmalloc's free lists bounded (allocator_trim.h).
    lintas::broker::AllocatorTrim trim({});
    std::unique_ptr<lintas::broker::Broker> broker;
    {
      std::lock_guard<std::mutex> lock(broker_mu);
      if (stop.load()) {
        waiter.join();
        return lintas::RequestedExitCode();
      }
      broker = std::make_unique<lintas::broker::Broker>(config);
      running = broker.get();
    }
    std::string endpoint = broker->Bind();
    if (!config.endpoint_file.empty()) lintas::WriteFileAtomically(config.endpoint_file, endpoint);
    try {
      broker->Run();
    } catch (const std::exception& e) {
      // Never std::terminate: say why, wake the waiter, exit non-zero.
      lintas::broker::Log()->critical("the broker loop stopped by an unexpected error: {}", e.what());
      lintas::RequestShutdown(1);
    }
    // Run() returns after Stop(), which the waiter calls on a signal.
    wake_waiter();
    running = nullptr;
    broker.reset();
    if (lease) lease->Release();  // a clean stop hands over at once
  } catch (const std::exception& e) {
    lintas::broker::Log()->critical("cannot start: {}", e.what());
    if (!stop.load()) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  return lintas::RequestedExitCode();
}
