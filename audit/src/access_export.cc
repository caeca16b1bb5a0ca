// The consultation section of an export: writing and verifying its lines.
#include "access_export.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/merkle.h"
#include "lintas/fb/audit_generated.h"

namespace lintas::audit::detail {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::string JsonString(std::string_view v) {
  return nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The readable part of a JSON access line, rebuilt from the record (which
// must verify): everything before the record itself.
std::string JsonPrefix(const fb::AccessRecord& r) {
  std::string offsets;
  if (r.offsets()) {
    for (size_t i = 0; i < r.offsets()->size(); ++i) {
      offsets += (i ? "," : "") + std::to_string(r.offsets()->Get(i));
    }
  }
  auto str = [](const flatbuffers::String* s) { return s ? std::string_view(s->c_str(), s->size()) : std::string_view(); };
  return fmt::format(
      "{{\"type\":\"access\",\"seq\":{},\"time_us\":{},\"node_id\":{},\"action\":{},\"justification\":{},"
      "\"offsets\":[{}],\"record\":\"",
      r.seq(), r.time_us(), JsonString(str(r.node_id())), JsonString(fb::EnumNameAccessAction(r.action())),
      JsonString(str(r.justification())), offsets);
}

const fb::AccessRecord* Verified(const std::string& bytes) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return fb::VerifyAccessRecordBuffer(v) ? fb::GetAccessRecord(bytes.data()) : nullptr;
}

std::string ProofText(const std::vector<Hash>& path, bool csv) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += csv ? ";" : ",";
    out += csv ? ToHex(path[i]) : '"' + ToHex(path[i]) + '"';
  }
  return out;
}

// "h1;h2" or "\"h1\",\"h2\"" into hashes; false on anything else.
bool ParseProof(std::string_view text, bool csv, std::vector<Hash>* out) {
  out->clear();
  if (text.empty()) return true;
  size_t item = csv ? 64 : 66;
  for (size_t i = 0;;) {
    if (i + item > text.size()) return false;
    if (!csv && (text[i] != '"' || text[i + 65] != '"')) return false;
    std::string_view hex = text.substr(csv ? i : i + 1, 64);
    auto h = FromHex(hex);
    if (!h || ToHex(*h) != hex) return false;  // lower-case only
    out->push_back(*h);
    i += item;
    if (i == text.size()) return true;
    if (text[i] != (csv ? ';' : ',')) return false;
    ++i;
  }
}

}  // namespace

std::string AccessLine(const AccessProof& proof, bool csv) {
  std::string b64 = Base64Encode(proof.record);
  if (csv) return fmt::format("#access,{},{},{}", proof.seq, b64, ProofText(proof.path, true));
  const fb::AccessRecord* r = Verified(proof.record);
  // A record that does not verify is written as it is (never replaced);
  // verification then names it.
  std::string prefix = r != nullptr && r->seq() == proof.seq
                           ? JsonPrefix(*r)
                           : fmt::format("{{\"type\":\"access\",\"seq\":{},\"record\":\"", proof.seq);
  return prefix + b64 + "\",\"proof\":[" + ProofText(proof.path, false) + "]}";
}

std::string AccessMissingLine(uint64_t seq, bool csv) {
  return csv ? fmt::format("#access-missing,{}", seq) : fmt::format("{{\"type\":\"access-missing\",\"seq\":{}}}", seq);
}

std::string AccessEndLine(uint64_t count, bool csv) {
  return csv ? fmt::format("#access-end,{}", count) : fmt::format("{{\"type\":\"access-end\",\"count\":{}}}", count);
}

bool IsAccessLine(std::string_view line, bool csv) {
  return csv ? line.substr(0, 7) == "#access" : line.substr(0, 15) == "{\"type\":\"access";
}

bool IsAccessEnd(std::string_view line, bool csv) {
  return csv ? line.substr(0, 12) == "#access-end," : line.substr(0, 27) == "{\"type\":\"access-end\",\"count";
}

AccessVerdict VerifyAccessLines(const std::vector<std::pair<uint64_t, std::string_view>>& lines,
                                const Checkpoint& cp, bool csv, bool complete) {
  AccessVerdict v;
  auto fail = [&](uint64_t line, uint64_t seq, std::string problem) {
    v.ok = false;
    v.line = line;
    v.seq = seq;
    v.problem = std::move(problem);
    return v;
  };
  uint64_t last = 0;
  std::string decoded;
  std::vector<Hash> path;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto [at, line] = lines[i];
    if (IsAccessEnd(line, csv)) {
      uint64_t count = 0;
      std::string_view digits = csv ? line.substr(12) : line.substr(27);
      bool parsed = csv ? ParseU64(digits, &count)
                        : digits.size() > 3 && digits.substr(0, 2) == "\":" && digits.back() == '}' &&
                              ParseU64(digits.substr(2, digits.size() - 3), &count);
      if (!parsed || i + 1 != lines.size()) return fail(at, 0, "malformed consultation section end line");
      if (count != v.records) {
        return fail(at, 0,
                    fmt::format("the consultation section's end line says {} records but {} were found: "
                                "consultation records were deleted or added",
                                count, v.records));
      }
      if (complete && last != cp.access_size) {
        return fail(at, last + 1,
                    fmt::format("consultation record {} expected here: a complete export holds every "
                                "consultation record 1..{}",
                                last + 1, cp.access_size));
      }
      return v;
    }
    constexpr std::string_view kMissingJson = "{\"type\":\"access-missing\",\"seq\":";
    uint64_t seq = 0;
    if (csv ? line.substr(0, 16) == "#access-missing," : line.substr(0, kMissingJson.size()) == kMissingJson) {
      std::string_view digits = csv ? line.substr(16) : line.substr(kMissingJson.size());
      if (!csv && !digits.empty() && digits.back() == '}') digits.remove_suffix(1);
      (void)ParseU64(digits, &seq);
      return fail(at, seq,
                  fmt::format("consultation record {} is missing: the broker's consultation log no longer "
                              "holds it (deleted); this export was made from a damaged log",
                              seq));
    }
    // A record line: seq, record, proof.
    std::string_view b64;
    std::string_view proof_text;
    size_t record_at = 0;
    if (csv) {
      if (line.substr(0, 8) != "#access,") return fail(at, 0, "malformed consultation line");
      size_t c1 = line.find(',', 8);
      size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
      if (c2 == std::string_view::npos || !ParseU64(line.substr(8, c1 - 8), &seq)) {
        return fail(at, 0, "malformed consultation line");
      }
      b64 = line.substr(c1 + 1, c2 - c1 - 1);
      proof_text = line.substr(c2 + 1);
    } else {
      constexpr std::string_view kStart = "{\"type\":\"access\",\"seq\":";
      constexpr std::string_view kRecord = "\"record\":\"";
      constexpr std::string_view kProof = "\",\"proof\":[";
      size_t digits = line.find(',', kStart.size());
      record_at = line.find(kRecord);
      size_t record_end = record_at == std::string_view::npos ? record_at : line.find('"', record_at + kRecord.size());
      if (line.substr(0, kStart.size()) != kStart || digits == std::string_view::npos ||
          !ParseU64(line.substr(kStart.size(), digits - kStart.size()), &seq) ||
          record_end == std::string_view::npos || line.substr(record_end, kProof.size()) != kProof ||
          line.size() < record_end + kProof.size() + 2 || line.substr(line.size() - 2) != "]}") {
        return fail(at, 0, "malformed consultation line (not in this format's canonical form)");
      }
      record_at += kRecord.size();
      b64 = line.substr(record_at, record_end - record_at);
      proof_text = line.substr(record_end + kProof.size(), line.size() - 2 - record_end - kProof.size());
    }
    if (seq <= last) {
      return fail(at, seq, fmt::format("consultation record {} follows record {}: out of order or repeated",
                                       seq, last));
    }
    if (complete && seq != last + 1) {
      return fail(at, seq,
                  fmt::format("consultation record {} expected here but found {}: a consultation record is "
                              "missing (a complete export holds every one, 1..{})",
                              last + 1, seq, cp.access_size));
    }
    if (!Base64DecodeInto(b64, &decoded)) return fail(at, seq, fmt::format("consultation record {} is not valid base64", seq));
    if (!ParseProof(proof_text, csv, &path)) {
      return fail(at, seq, fmt::format("consultation record {}: the proof is not a list of 64-digit lower-case hex hashes", seq));
    }
    AccessProof proof{seq, decoded, path};
    if (std::string what = CheckAccessProof(proof, cp); !what.empty()) return fail(at, seq, what);
    if (!csv && line.substr(0, record_at) != JsonPrefix(*fb::GetAccessRecord(decoded.data()))) {
      return fail(at, seq,
                  fmt::format("consultation record {}: the line's readable fields (time, node, action, "
                              "justification, offsets) are not what the record says",
                              seq));
    }
    last = seq;
    ++v.records;
  }
  return fail(lines.empty() ? 0 : lines.back().first, 0, "the consultation section has no end line");
}

}  // namespace lintas::audit::detail
