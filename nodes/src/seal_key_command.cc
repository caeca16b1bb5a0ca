// The node's seal keys from the command line.
#include "seal_key_command.h"

#include <filesystem>
#include <iostream>

#include "lintas/seal/seal_key.h"
#include "lintas/wire/bytes.h"

namespace lintas::node {

int RunSealKeyCommand(const NodeConfig& config, bool rotate) {
  std::string path = config.seal_key_file.empty() ? config.data_dir + "/seal.key" : config.seal_key_file;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  auto keys = rotate ? seal::SealKeyring::Rotate(path) : seal::SealKeyring::LoadOrCreate(path);
  if (!keys.ok()) {
    std::cerr << "lintas-node: " << keys.error().message << "\n";
    return 1;
  }
  const auto& current = keys->current().public_key;
  if (rotate) {
    std::cerr << "new seal key added in front of " << path << " (" << keys->size()
              << " keys kept); the node announces it at its next connect\n";
  }
  std::cerr << "seal key id " << wire::ToHex(seal::KeyIdOf(current)) << " of node " << config.id
            << "; for the broker's config:\n";
  std::cout << "seal_public_key = \"" << seal::ToBase64(current) << "\"\n";
  return 0;
}

}  // namespace lintas::node
