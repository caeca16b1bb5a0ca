// lintas-bench's command line.
#include "bench_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>

namespace lintas::bench {
namespace {

std::string DefaultBrokerBinary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "lintas-broker";
  return (self.parent_path().parent_path() / "broker" / "lintas-broker").string();
}

}  // namespace

std::optional<Options> ParseOptions(int argc, char** argv, int* exit_code) {
  Options o;
  o.broker_binary = DefaultBrokerBinary();
  CLI::App app{"lintas-bench: load generator for the Lintas broker (LTP/1 over TCP)"};
  app.add_option("-p,--publishers", o.publishers, "Publishing nodes (1..32)")
      ->capture_default_str();
  app.add_option("-m,--subscribers", o.subscribers,
                 "Subscribing nodes (0..32); events are spread over their inboxes")
      ->capture_default_str();
  app.add_option(
         "--fanout", o.fanout,
         "Fan-out: N subscribers (1..32) each take every event (a regional alert, through a named "
         "subscription matching all distributed events); replaces -m")
      ->capture_default_str();
  app.add_flag("--sealed", o.sealed,
               "Publish sealed referrals (lintas::seal, pre-sealed before timing; needs --events) "
               "to a broker "
               "with security.require_sealed");
  app.add_option("-s,--size", o.event_bytes, "Event size in bytes (about)")->capture_default_str();
  app.add_option("-r,--rate", o.rate, "Events/s over all publishers; 0: as fast as possible")
      ->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "Seconds of publishing (unless --events)")
      ->capture_default_str();
  app.add_option("-n,--events", o.events,
                 "Events over all publishers instead of a duration; 0: use --duration")
      ->capture_default_str();
  app.add_option("-w,--window", o.window, "Events in flight per publisher")->capture_default_str();
  app.add_option("-b,--batch", o.batch, "Events per Publish message (1..256)")
      ->capture_default_str();
  app.add_option("--credit", o.credit, "Subscriber credit window (events)")->capture_default_str();
  app.add_option("--backlog", o.backlog,
                 "Catch-up test: events queued for a subscriber while it is away; 0: skip")
      ->capture_default_str();
  app.add_flag("--curve", o.curve, "CurveZMQ (keys generated for the run) instead of plaintext");
  app.add_flag("--json", o.json, "Print one flat JSON object (keys in bench/README.md)");
  app.add_flag("!--no-raw", o.raw, "Skip the raw-limit measurements");
  app.add_option("--raw-seconds", o.raw_seconds, "Duration of each raw-limit measurement")
      ->capture_default_str();
  app.add_option("--broker", o.broker_binary, "The lintas-broker binary")->capture_default_str();
  app.add_option("--broker-config-extra", o.broker_config_extra,
                 "A TOML file appended to the broker's configuration (e.g. [store] backend = "
                 "\"jetstream\")");
  app.add_flag(
      "--storage", o.storage,
      "After the run: bytes per event on disk, WAL left after a clean shutdown, restart time "
      "and RSS on that data");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return std::nullopt;
  }
  if (o.sealed && o.events == 0) {
    std::cerr << "lintas-bench: --sealed needs --events N (the events are sealed before the clock "
                 "starts)\n";
    *exit_code = 2;
    return std::nullopt;
  }
  if (o.sealed && o.fanout > 0) {
    std::cerr << "lintas-bench: --sealed and --fanout exclude each other (distributed events are "
                 "not sealed)\n";
    *exit_code = 2;
    return std::nullopt;
  }
  o.publishers = std::clamp<size_t>(o.publishers, 1, 32);
  o.subscribers = std::clamp<size_t>(o.subscribers, 0, 32);
  o.fanout = std::min<size_t>(o.fanout, 32);
  o.batch = std::clamp<size_t>(o.batch, 1, 256);
  o.credit = std::max<uint32_t>(o.credit, 1);
  // A backlog of sealed events would need a second pool; the catch-up rate
  // is measured by the unsealed run.
  if (o.sealed) o.backlog = 0;
  return o;
}

}  // namespace lintas::bench
