// SHA-256 through OpenSSL; hex and base64.
#include "lintas/audit/hash.h"

#include <cstring>

#include <openssl/evp.h>

namespace lintas::audit {

namespace {

// One fetched SHA-256 implementation for the process, one context per thread.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Hash Digest(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  thread_local Context c;
  Hash out;
  unsigned int len = 0;
  EVP_DigestInit_ex(c.ctx, Sha256Md(), nullptr);
  EVP_DigestUpdate(c.ctx, a.data(), a.size());
  if (!b.empty()) EVP_DigestUpdate(c.ctx, b.data(), b.size());
  EVP_DigestFinal_ex(c.ctx, out.data(), &len);
  return out;
}

}  // namespace

Hash LeafHash(std::span<const uint8_t> data) {
  const uint8_t prefix = 0x00;
  return Digest({&prefix, 1}, data);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buffer[65];
  buffer[0] = 0x01;
  std::memcpy(buffer + 1, left.data(), 32);
  std::memcpy(buffer + 33, right.data(), 32);
  return Digest({buffer, sizeof(buffer)}, {});
}

Hash EmptyRoot() { return Digest({}, {}); }

Hash Sha256(std::span<const uint8_t> data) { return Digest({}, data); }

std::string ToHex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kDigits[hash[i] >> 4];
    out[2 * i + 1] = kDigits[hash[i] & 15];
  }
  return out;
}

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Character -> value tables; 0x80 marks a character outside the alphabet.
struct Tables {
  uint8_t base64[256];
  uint8_t hex[256];
  constexpr Tables() : base64(), hex() {
    for (int i = 0; i < 256; ++i) base64[i] = hex[i] = 0x80;
    for (int i = 0; i < 64; ++i) base64[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
    for (int i = 0; i < 10; ++i) hex['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) {
      hex['a' + i] = static_cast<uint8_t>(10 + i);
      hex['A' + i] = static_cast<uint8_t>(10 + i);
    }
  }
};
constexpr Tables kTables;

}  // namespace

std::optional<Hash> FromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Hash out;
  const auto* in = reinterpret_cast<const uint8_t*>(hex.data());
  uint8_t bad = 0;
  for (size_t i = 0; i < 32; ++i) {
    uint8_t hi = kTables.hex[in[2 * i]];
    uint8_t lo = kTables.hex[in[2 * i + 1]];
    bad |= hi | lo;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if ((bad & 0x80) != 0) return std::nullopt;
  return out;
}

std::optional<Hash> FromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  Hash out;
  std::memcpy(out.data(), bytes.data(), 32);
  return out;
}

std::vector<Hash> SplitHashes(std::span<const uint8_t> bytes) {
  std::vector<Hash> out;
  out.reserve(bytes.size() / 32);
  for (size_t i = 0; i + 32 <= bytes.size(); i += 32) {
    Hash h;
    std::memcpy(h.data(), bytes.data() + i, 32);
    out.push_back(h);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = p[i] << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    uint32_t v = p[i] << 16 | p[i + 1] << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out;
  if (!Base64DecodeInto(text, &out)) return std::nullopt;
  return out;
}

bool Base64DecodeInto(std::string_view text, std::string* out_string) {
  if (text.size() % 4 != 0) return false;
  out_string->clear();
  if (text.empty()) return true;
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text[text.size() - 2] == '=') ++padding;
  std::string& out = *out_string;
  out.resize(text.size() / 4 * 3);
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t* t = kTables.base64;
  size_t blocks = text.size() / 4;
  uint8_t bad = 0;
  // Every block but the last has no padding.
  for (size_t b = 0; b + 1 < blocks; ++b) {
    const uint8_t* q = in + 4 * b;
    uint8_t a0 = t[q[0]], a1 = t[q[1]], a2 = t[q[2]], a3 = t[q[3]];
    bad |= a0 | a1 | a2 | a3;
    uint32_t v = static_cast<uint32_t>(a0) << 18 | static_cast<uint32_t>(a1) << 12 |
                 static_cast<uint32_t>(a2) << 6 | a3;
    o[3 * b] = static_cast<uint8_t>(v >> 16);
    o[3 * b + 1] = static_cast<uint8_t>(v >> 8);
    o[3 * b + 2] = static_cast<uint8_t>(v);
  }
  const uint8_t* q = in + 4 * (blocks - 1);
  uint8_t a0 = t[q[0]], a1 = t[q[1]];
  uint8_t a2 = padding >= 2 ? 0 : t[q[2]];
  uint8_t a3 = padding >= 1 ? 0 : t[q[3]];
  bad |= a0 | a1 | a2 | a3;
  if ((bad & 0x80) != 0) return false;
  uint32_t v = static_cast<uint32_t>(a0) << 18 | static_cast<uint32_t>(a1) << 12 |
               static_cast<uint32_t>(a2) << 6 | a3;
  o[3 * (blocks - 1)] = static_cast<uint8_t>(v >> 16);
  o[3 * (blocks - 1) + 1] = static_cast<uint8_t>(v >> 8);
  o[3 * (blocks - 1) + 2] = static_cast<uint8_t>(v);
  out.resize(out.size() - padding);
  return true;
}

}  // namespace lintas::audit
