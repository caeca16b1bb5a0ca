// lintas-import's configuration file (TOML). README.md shows an example;
// every key carries its default here. Loading throws ConfigError.
#pragma once

#include <cstdint>
#include <string>

namespace lintas::importer {

struct ImportConfig {
  // The node's API (http:// or https://). Default: "http://127.0.0.1:7480"
  std::string node_url = "http://127.0.0.1:7480";
  // A file holding the API token of an account with the officer or
  // supervisor role (a `system` account's token, made with `lintas admin
  // token create --user ...`); relative to the config file's folder.
  // Default: "" (the token is taken from $LINTAS_TOKEN)
  std::string token_file;
  // PEM file of the certificate authorities that may sign the node's TLS
  // certificate (https only; verification is always on).
  // Default: "" (the system's authorities)
  std::string ca_file;
  // Seconds to wait for the node's answer to one row. Default: 30 (1-600)
  uint32_t timeout_s = 30;
  // The mapping file; relative to the config file's folder. Required
  // (or --mapping).
  std::string mapping;
  // Rows sent to the node at once (one keep-alive connection each).
  // Default: 4 (1-32)
  uint32_t parallel = 4;
  // After the submit pass, seconds to wait for the broker's answer to each
  // imported row (acknowledged or refused; refused rows are listed).
  // Default: 0 (do not wait; `lintas status ID` tells later)
  uint32_t wait_s = 0;
};

// Reads `path`; unknown keys are refused. Throws ConfigError naming the key.
ImportConfig LoadConfig(const std::string& path);
ImportConfig ParseConfig(const std::string& text, const std::string& base_dir,
                         const std::string& where);

// The API token: token_file's first line, else $LINTAS_TOKEN. Throws
// ConfigError when there is none.
std::string ReadToken(const ImportConfig& config);

}  // namespace lintas::importer
