// Writing and verifying audit exports.
#include "lintas/audit/export_format.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/merkle.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/record.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

namespace lintas::audit {
namespace {

using nlohmann::json;

constexpr std::string_view kCsvColumns =
    "offset,event_id,received_at_us,origin,body,case_id,record,proof";

struct RecordMeta {
  uint64_t offset = 0;
  std::string event_id;
  int64_t received_at_us = 0;
  std::string origin;
  std::string body;
  std::string case_id;
};

std::optional<RecordMeta> Meta(std::string_view bytes) {
  auto verified = wire::VerifyRecord(wire::AsBytes(bytes));
  if (!verified.ok()) return std::nullopt;
  const fb::StoredRecord& r = **verified;
  const fb::Event* e = fb::GetEvent(wire::RecordEventBytes(r).data());
  RecordMeta m;
  m.offset = r.offset();
  m.received_at_us = r.received_at_us();
  m.event_id = wire::EventId::FromFb(*e->id()).ToString();
  m.origin = e->origin()->country()->str() + "/" + e->origin()->agency()->str();
  m.body = std::string(wire::BodyName(e->body_type()));
  if (e->case_id()) m.case_id = e->case_id()->str();
  return m;
}

// CSV field: quoted when it holds a comma, quote or newline.
std::string Csv(std::string_view v) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The fields verification needs from one record line.
struct Parsed {
  uint64_t offset = 0;
  std::string_view record_b64;
  std::vector<std::string_view> proof_hex;
};

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Fast path for the lines this tool writes (no spaces, keys as written);
// false means "parse it the slow way".
bool FastJsonRecord(std::string_view line, Parsed* p) {
  auto value_after = [&](std::string_view key) -> size_t {
    size_t at = line.find(key);
    return at == std::string_view::npos ? at : at + key.size();
  };
  size_t o = value_after("\"offset\":");
  size_t r = value_after("\"record\":\"");
  size_t q = value_after("\"proof\":[");
  if (o == std::string_view::npos || r == std::string_view::npos || q == std::string_view::npos) {
    return false;
  }
  size_t o_end = line.find_first_not_of("0123456789", o);
  if (o_end == std::string_view::npos || !ParseU64(line.substr(o, o_end - o), &p->offset)) {
    return false;
  }
  size_t r_end = line.find('"', r);
  if (r_end == std::string_view::npos) return false;
  p->record_b64 = line.substr(r, r_end - r);
  p->proof_hex.clear();
  size_t i = q;
  while (i < line.size() && line[i] != ']') {
    if (line[i] == ',') ++i;
    if (i + 66 > line.size() || line[i] != '"' || line[i + 65] != '"') return false;
    p->proof_hex.push_back(line.substr(i + 1, 64));
    i += 66;
  }
  return i < line.size();
}

}  // namespace

void ExportWriter::Header(const ExportHeader& h) {
  std::string sig = Base64Encode({reinterpret_cast<const char*>(h.checkpoint.signature.data()), 64});
  if (format_ == ExportFormat::kJsonLines) {
    json j{{"type", "lintas-audit-export"},
           {"version", 1},
           {"checkpoint", h.checkpoint.body},
           {"signature", sig},
           {"public_key", KeyToBase64(h.public_key)},
           {"complete", h.complete},
           {"filter", json::parse(h.filter_json)},
           {"justification", h.justification},
           {"exported_at_us", h.exported_at_us}};
    out_ << j.dump() << "\n";
  } else {
    out_ << "#lintas-audit-export,1\n#checkpoint," << Base64Encode(h.checkpoint.body)
         << "\n#signature," << sig << "\n#public_key," << KeyToBase64(h.public_key)
         << "\n#complete," << (h.complete ? "true" : "false") << "\n#filter,"
         << Csv(h.filter_json) << "\n#justification," << Csv(h.justification)
         << "\n#exported_at_us," << h.exported_at_us << "\n"
         << kCsvColumns << "\n";
  }
}

void ExportWriter::Record(const ExportRecord& r) {
  RecordMeta m = Meta(r.record).value_or(RecordMeta{});
  std::string b64 = Base64Encode(r.record);
  if (format_ == ExportFormat::kJsonLines) {
    // Written by hand in a fixed order (the verifier's fast path reads it);
    // any JSON reader reads it too.
    std::string proof;
    for (size_t i = 0; i < r.proof.size(); ++i) {
      if (i > 0) proof += ',';
      proof += '"' + ToHex(r.proof[i]) + '"';
    }
    out_ << fmt::format(
        "{{\"type\":\"record\",\"offset\":{},\"event_id\":{},\"received_at_us\":{},\"origin\":{},"
        "\"body\":{},\"case_id\":{},\"record\":\"{}\",\"proof\":[{}]}}\n",
        m.offset, json(m.event_id).dump(), m.received_at_us, json(m.origin).dump(),
        json(m.body).dump(), json(m.case_id).dump(), b64, proof);
  } else {
    std::string proof;
    for (size_t i = 0; i < r.proof.size(); ++i) {
      if (i > 0) proof += ';';
      proof += ToHex(r.proof[i]);
    }
    out_ << m.offset << ',' << m.event_id << ',' << m.received_at_us << ',' << Csv(m.origin) << ','
         << m.body << ',' << Csv(m.case_id) << ',' << b64 << ',' << proof << "\n";
  }
  ++count_;
}

void ExportWriter::End() {
  if (format_ == ExportFormat::kJsonLines) {
    out_ << "{\"type\":\"end\",\"count\":" << count_ << "}\n";
  } else {
    out_ << "#end," << count_ << "\n";
  }
  out_.flush();
}

VerifyReport VerifyExport(std::istream& in, const PublicKey& key) {
  VerifyReport report;
  auto fail = [&](uint64_t line, uint64_t offset, std::string problem) {
    report.ok = false;
    report.line = line;
    report.offset = offset;
    report.problem = std::move(problem);
    return report;
  };
  std::string line;
  uint64_t line_no = 0;
  // Header.
  if (!std::getline(in, line)) return fail(1, 0, "empty file: no export header");
  ++line_no;
  bool csv = line.rfind("#lintas-audit-export", 0) == 0;
  SignedCheckpoint signed_cp;
  std::string signature_b64;
  if (csv) {
    std::string body_b64;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.rfind("offset,", 0) == 0) break;
      if (line.rfind("#checkpoint,", 0) == 0) body_b64 = line.substr(12);
      if (line.rfind("#signature,", 0) == 0) signature_b64 = line.substr(11);
      if (line.rfind("#complete,", 0) == 0) report.complete = line.substr(10) == "true";
    }
    auto body = Base64Decode(body_b64);
    if (!body) return fail(line_no, 0, "header: the checkpoint is not base64");
    signed_cp.body = *body;
  } else {
    json h = json::parse(line, nullptr, false);
    if (h.is_discarded() || !h.is_object() || h.value("type", "") != "lintas-audit-export") {
      return fail(1, 0, "line 1 is not a lintas-audit-export header");
    }
    if (h.value("version", 0) != 1) return fail(1, 0, "unsupported export version");
    if (!h.contains("checkpoint") || !h["checkpoint"].is_string()) {
      return fail(1, 0, "header: no checkpoint");
    }
    signed_cp.body = h["checkpoint"].get<std::string>();
    signature_b64 = h.value("signature", "");
    report.complete = h.value("complete", false);
  }
  auto sig = Base64Decode(signature_b64);
  if (!sig || sig->size() != 64) return fail(1, 0, "header: the signature is not 64 bytes of base64");
  std::copy(sig->begin(), sig->end(), signed_cp.signature.begin());
  if (!VerifySignature(signed_cp.body, signed_cp.signature, key)) {
    return fail(1, 0,
                "the checkpoint's signature does not verify with the given broker key: signed by "
                "another key, or altered");
  }
  auto cp = Checkpoint::Parse(signed_cp.body);
  if (!cp.ok()) return fail(1, 0, "header: " + cp.error().message);
  report.checkpoint_size = cp->size;

  InclusionVerifier verifier(cp->size, cp->root);
  uint64_t last_offset = 0;
  bool ended = false;
  Parsed p;
  std::vector<Hash> proof;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    if (ended) return fail(line_no, 0, "content after the end line");
    // End line.
    if (csv ? line.rfind("#end,", 0) == 0 : line.rfind("{\"type\":\"end\"", 0) == 0) {
      uint64_t count = 0;
      bool parsed = false;
      if (csv) {
        parsed = ParseU64(std::string_view(line).substr(5), &count);
      } else {
        json e = json::parse(line, nullptr, false);
        parsed = !e.is_discarded() && e.contains("count") && e["count"].is_number_unsigned();
        if (parsed) count = e["count"].get<uint64_t>();
      }
      if (!parsed) return fail(line_no, 0, "malformed end line");
      if (count != report.records) {
        return fail(line_no, 0,
                    fmt::format("the end line says {} records but {} were found: records were "
                                "deleted or added",
                                count, report.records));
      }
      ended = true;
      continue;
    }
    // A record line.
    std::string record_b64_storage;
    std::vector<std::string> proof_storage;
    if (csv) {
      std::vector<std::string_view> cols;
      std::string_view rest = line;
      for (size_t at; (at = rest.find(',')) != std::string_view::npos;) {
        cols.push_back(rest.substr(0, at));
        rest.remove_prefix(at + 1);
      }
      cols.push_back(rest);
      // Quoted fields (origin, case id) never hold the columns we need; take
      // the last three and the first.
      if (cols.size() < 8 || !ParseU64(cols[0], &p.offset)) {
        return fail(line_no, 0, "malformed CSV record line");
      }
      p.record_b64 = cols[cols.size() - 2];
      p.proof_hex.clear();
      std::string_view hexes = cols.back();
      while (!hexes.empty()) {
        size_t at = hexes.find(';');
        p.proof_hex.push_back(hexes.substr(0, at));
        if (at == std::string_view::npos) break;
        hexes.remove_prefix(at + 1);
      }
    } else if (!FastJsonRecord(line, &p)) {
      json r = json::parse(line, nullptr, false);
      if (r.is_discarded() || !r.is_object() || r.value("type", "") != "record" ||
          !r.contains("offset") || !r["offset"].is_number_unsigned() || !r.contains("record") ||
          !r["record"].is_string() || !r.contains("proof") || !r["proof"].is_array()) {
        return fail(line_no, 0, "malformed record line (not JSON, or offset/record/proof missing)");
      }
      p.offset = r["offset"].get<uint64_t>();
      record_b64_storage = r["record"].get<std::string>();
      p.record_b64 = record_b64_storage;
      p.proof_hex.clear();
      for (const auto& h : r["proof"]) {
        if (!h.is_string()) return fail(line_no, p.offset, "a proof hash is not a string");
        proof_storage.push_back(h.get<std::string>());
      }
      for (const auto& s : proof_storage) p.proof_hex.push_back(s);
    }
    uint64_t offset = p.offset;
    if (offset <= last_offset) {
      return fail(line_no, offset,
                  fmt::format("offset {} follows offset {}: records are out of order or repeated",
                              offset, last_offset));
    }
    if (report.complete && offset != last_offset + 1) {
      return fail(line_no, offset,
                  fmt::format("offset {} expected here but found {}: a record is missing or out "
                              "of order (a complete export holds every record 1..{} in order)",
                              last_offset + 1, offset, cp->size));
    }
    if (offset > cp->size) {
      return fail(line_no, offset,
                  fmt::format("offset {} is beyond the checkpoint's {} records", offset, cp->size));
    }
    auto bytes = Base64Decode(p.record_b64);
    if (!bytes) return fail(line_no, offset, "the record is not valid base64");
    auto verified = wire::VerifyRecord(wire::AsBytes(*bytes));
    if (!verified.ok()) {
      return fail(line_no, offset, "the record is damaged: " + verified.error().message);
    }
    if ((*verified)->offset() != offset) {
      return fail(line_no, offset,
                  fmt::format("the line says offset {} but the record inside is offset {}", offset,
                              (*verified)->offset()));
    }
    Hash leaf = LeafHash(*bytes);
    bool bad_hex = false;
    auto at = [&](size_t i) -> std::optional<Hash> {
      auto h = FromHex(p.proof_hex[i]);
      if (!h) bad_hex = true;
      return h;
    };
    if (!verifier.Verify(leaf, offset - 1, p.proof_hex.size(), at)) {
      return fail(line_no, offset,
                  bad_hex ? std::string("a proof hash is not 64 hex digits")
                          : fmt::format("record {} does not match the signed log: its inclusion "
                                        "proof does not lead to the checkpoint's root (the record "
                                        "or its proof was altered)",
                                        offset));
    }
    last_offset = offset;
    ++report.records;
  }
  if (!ended) {
    return fail(line_no, last_offset,
                fmt::format("the export is truncated: no end line after {} records", report.records));
  }
  if (report.complete && last_offset != cp->size) {
    return fail(line_no, last_offset,
                fmt::format("a complete export ends at offset {} but the checkpoint covers {} "
                            "records: the tail is missing",
                            last_offset, cp->size));
  }
  report.ok = true;
  return report;
}

}  // namespace lintas::audit
