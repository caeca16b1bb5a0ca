// Where the CLI keeps the tokens `lintas login` obtained: one file per node
// URL in the user's config directory ($LINTAS_CONFIG_DIR, else
// $XDG_CONFIG_HOME/lintas, else ~/.config/lintas), mode 0600. $LINTAS_TOKEN,
// when set, is used instead (for scripts and agency systems).
#pragma once

#include <optional>
#include <string>

namespace lintas::cli {

// The directory (not created).
std::string ConfigDir();
// The file holding the token for `node_url`.
std::string CredentialsPath(const std::string& node_url);
// $LINTAS_TOKEN, else the stored token for `node_url`, else empty.
std::string ResolveToken(const std::string& node_url);
// Stores `token` for `node_url` (creating the directory 0700, the file 0600,
// replacing it atomically). False with a message on stderr on failure.
bool StoreToken(const std::string& node_url, const std::string& token);
// Removes the stored token; true if there was one.
bool ForgetToken(const std::string& node_url);

}  // namespace lintas::cli
