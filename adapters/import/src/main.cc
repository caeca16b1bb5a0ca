// lintas-import: bulk import of referrals or requests from a case system's
// CSV or JSON export through the node's HTTP API (README.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "config.h"
#include "importer.h"
#include "lintas/common/toml_reader.h"
#include "mapping.h"

namespace {

using namespace lintas::importer;

void PrintConfig(const ImportConfig& c, const Mapping& m) {
  std::cout << fmt::format(
                   "node.url = {}\nnode.token_file = {}\nnode.ca_file = {}\nnode.timeout_s = {}\n",
                   c.node_url, c.token_file.empty() ? "(none: $LINTAS_TOKEN)" : c.token_file,
                   c.ca_file.empty() ? "(system)" : c.ca_file, c.timeout_s)
            << fmt::format("import.mapping = {}\nimport.parallel = {}\nimport.wait_s = {}\n",
                           c.mapping, c.parallel, c.wait_s)
            << fmt::format("mapping: kind = {} (POST {}), format = {}, id = \"{}\", {} fields\n",
                           m.kind, m.route,
                           m.format.empty() ? "(from the file's extension)" : m.format, m.id_column,
                           m.fields.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lintas-import: import referrals or requests from a CSV or JSON export, all or nothing per "
      "file"};
  std::string config_path;
  std::string mapping_path;
  std::vector<std::string> files;
  bool check_config = false;
  bool dry_run = false;
  int64_t wait_s = -1;
  app.add_option("--config", config_path, "the configuration file (TOML)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--mapping", mapping_path, "the mapping file (instead of import.mapping)");
  app.add_flag("--check-config", check_config,
               "check the configuration and the mapping, print them, and exit");
  app.add_flag("--dry-run", dry_run,
               "validate every row (locally and by the node), import nothing");
  app.add_option("--wait", wait_s,
                 "seconds to wait for the broker's answer to each row (import.wait_s)")
      ->check(CLI::Range(0, 3600));
  app.add_option("files", files, "the export files (.csv or .json), each imported all or nothing");
  CLI11_PARSE(app, argc, argv);

  ImportConfig config;
  Mapping mapping;
  std::string token;
  try {
    config = LoadConfig(config_path);
    if (!mapping_path.empty()) config.mapping = mapping_path;
    if (wait_s >= 0) config.wait_s = static_cast<uint32_t>(wait_s);
    if (config.mapping.empty()) lintas::config::Fail("import.mapping: required (or --mapping)");
    mapping = LoadMapping(config.mapping);
    token = ReadToken(config);
  } catch (const lintas::ConfigError& e) {
    std::cerr << "lintas-import: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (check_config) {
    PrintConfig(config, mapping);
    std::cout << "configuration ok\n";
    return kExitOk;
  }
  if (files.empty()) {
    std::cerr << "lintas-import: name the files to import (or --check-config)\n";
    return kExitBadInput;
  }
  int worst = kExitOk;
  for (const auto& file : files) {
    FileReport report =
        ImportFile(file, mapping, config, token, RunOptions{dry_run}, std::cout, std::cerr);
    if (report.exit_code != kExitOk && (worst == kExitOk || report.exit_code < worst))
      worst = report.exit_code;
    if (report.exit_code == kExitUnreachable) break;
  }
  return worst;
}
