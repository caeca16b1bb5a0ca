// The signed directory: what the broker tells every node about who is who,
// so that a node can resolve addressees to agencies and their nodes, and seal
// to those nodes' keys, before it sends (docs/SECURITY.md). The broker builds
// and signs it (Ed25519, its audit signing key); nodes verify the signature
// against the key they pinned and keep the last verified document.
//
// Format: JSON, signed over the exact bytes that travel:
//   {"format":"lintas-directory/1","broker":"...","issued_at_us":N,
//    "agencies":[{"id","country","roles":[...],"counterpart_for":[...],"node"}],
//    "nodes":[{"id","country","seal_key":"<base64 X25519 public key>"|""}]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/common/result.h"
#include "lintas/fb/event_generated.h"
#include "lintas/seal/seal_key.h"

namespace lintas::seal {

// Past this, a directory document is refused unread.
inline constexpr size_t kMaxDirectoryBytes = size_t{1} << 20;

struct DirectoryAgency {
  std::string id;
  std::string country;
  std::vector<std::string> roles;            // "police", "social_welfare", ...
  std::vector<std::string> counterpart_for;  // roles it is the designated counterpart for
  std::string node;                          // the node serving it; "" if none
};

struct DirectoryNode {
  std::string id;
  std::string country;
  std::optional<PublicKey> seal_key;  // none until the node has announced one
};

// The directory's role name of a Role ("" for Unspecified).
std::string_view RoleName(fb::Role role);

// Thread safety: a value; const methods from any thread.
struct DirectoryDocument {
  std::string broker_id;
  int64_t issued_at_us = 0;
  std::vector<DirectoryAgency> agencies;
  std::vector<DirectoryNode> nodes;

  std::string Serialize() const;
  // Refuses oversized or malformed documents, naming the field.
  static Result<DirectoryDocument> Parse(std::string_view text);

  const DirectoryAgency* FindAgency(std::string_view id) const;
  const DirectoryNode* FindNode(std::string_view id) const;
  // The agency a role in a country resolves to: the designated counterpart
  // for that role, else the only agency with it. Errors (unknown_destination
  // semantics, as at the broker) name `field` (".role" appended).
  Result<const DirectoryAgency*> Counterpart(std::string_view country, std::string_view role,
                                             const std::string& field) const;
  // The agency one destination resolves to (`field`: "destinations[i]").
  Result<const DirectoryAgency*> Resolve(const fb::Destination& d, const std::string& field) const;
};

}  // namespace lintas::seal
