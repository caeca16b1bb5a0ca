// RFC 6962 / RFC 9162 hashing for the audit trees: SHA-256 with distinct
// leaf (0x00) and node (0x01) prefixes, so that a leaf can never be passed
// off as an inner node. SHA-256 comes from OpenSSL's libcrypto (it uses the
// CPU's SHA extensions where present).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>
#include <string>
#include <string_view>

namespace lintas::audit {

using Hash = std::array<uint8_t, 32>;

// SHA-256(0x00 || data)
Hash LeafHash(std::span<const uint8_t> data);
inline Hash LeafHash(std::string_view data) {
  return LeafHash({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
}
// SHA-256(0x01 || left || right)
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256() : the root of an empty tree.
Hash EmptyRoot();

// Plain SHA-256(data), no prefix: an event's hash in a signed
// acknowledgement (receipt.h).
Hash Sha256(std::span<const uint8_t> data);
inline Hash Sha256(std::string_view data) {
  return Sha256({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
}

// Lower-case hex, 64 characters.
std::string ToHex(const Hash& hash);
std::optional<Hash> FromHex(std::string_view hex);

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(std::string_view bytes);
// nullopt on any character outside the alphabet or bad padding.
std::optional<std::string> Base64Decode(std::string_view text);
// The same into `out`, reusing its memory; false as above.
bool Base64DecodeInto(std::string_view text, std::string* out);

// The hash as bytes ("\x12\x34...") and back.
inline std::string_view AsString(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}
std::optional<Hash> FromBytes(std::string_view bytes);
// Consecutive 32-byte hashes (a proof on the wire); a partial last one is dropped.
std::vector<Hash> SplitHashes(std::span<const uint8_t> bytes);

}  // namespace lintas::audit
