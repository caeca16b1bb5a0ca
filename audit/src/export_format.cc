// Writing and verifying audit exports.
#include "lintas/audit/export_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "access_export.h"
#include "lintas/audit/merkle.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/record.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "lintas/fb/record_generated.h"

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

// A JSON string literal; bytes that are not UTF-8 are replaced (U+FFFD), so
// that a damaged record is still written and then caught by verification.
std::string JsonString(const std::string& v) {
  bool plain = std::all_of(v.begin(), v.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) return '"' + v + '"';  // what the JSON library would write
  return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A record line's readable part, as written: everything before the record
// itself. The verifier rebuilds it from the record and requires it verbatim,
// so that what a reader sees is what the signed record says.
std::string JsonPrefix(const RecordMeta& m) {
  return fmt::format(
      "{{\"type\":\"record\",\"offset\":{},\"event_id\":{},\"received_at_us\":{},\"origin\":{},"
      "\"body\":{},\"case_id\":{},\"record\":\"",
      m.offset, JsonString(m.event_id), m.received_at_us, JsonString(m.origin),
      JsonString(m.body), JsonString(m.case_id));
}

std::string CsvPrefix(const RecordMeta& m) {
  return fmt::format("{},{},{},{},{},{},", m.offset, m.event_id, m.received_at_us, Csv(m.origin),
                     Csv(m.body), Csv(m.case_id));
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

// Splits "h1<sep>h2<sep>..." (JSON: "\"h1\",\"h2\"") into 64-character
// lower-case hex strings; false on anything else.
bool SplitProof(std::string_view text, bool json_quoted, std::vector<std::string_view>* out) {
  out->clear();
  if (text.empty()) return true;
  size_t item = json_quoted ? 66 : 64;
  for (size_t i = 0;;) {
    if (i + item > text.size()) return false;
    std::string_view h = text.substr(json_quoted ? i + 1 : i, 64);
    if (json_quoted && (text[i] != '"' || text[i + 65] != '"')) return false;
    // The digits themselves are checked where they are used: decoded with
    // FromHex, or compared with hashes already decoded (InclusionVerifier).
    out->push_back(h);
    i += item;
    if (i == text.size()) return true;
    if (text[i] != (json_quoted ? ',' : ';')) return false;
    ++i;
  }
}

}  // namespace

void ExportWriter::Header(const ExportHeader& h) {
  std::string sig = Base64Encode({reinterpret_cast<const char*>(h.checkpoint.signature.data()), 64});
  if (format_ == ExportFormat::kJsonLines) {
    // In the documented order (docs/AUDIT.md 4), not the library's sorted one.
    nlohmann::ordered_json j{{"type", "lintas-audit-export"},
           {"version", h.with_access ? 2 : 1},
           {"checkpoint", h.checkpoint.body},
           {"signature", sig},
           {"public_key", KeyToBase64(h.public_key)},
           {"complete", h.complete},
           {"filter", nlohmann::ordered_json::parse(h.filter_json)},
           {"justification", h.justification},
           {"exported_at_us", h.exported_at_us}};
    out_ << j.dump() << "\n";
  } else {
    out_ << "#lintas-audit-export," << (h.with_access ? 2 : 1) << "\n#checkpoint," << Base64Encode(h.checkpoint.body)
         << "\n#signature," << sig << "\n#public_key," << KeyToBase64(h.public_key)
         << "\n#complete," << (h.complete ? "true" : "false") << "\n#filter,"
         << Csv(h.filter_json) << "\n#justification," << Csv(h.justification)
         << "\n#exported_at_us," << h.exported_at_us << "\n";
    if (!h.with_access) out_ << kCsvColumns << "\n";
  }
  access_open_ = h.with_access;
}

void ExportWriter::Access(const AccessProof& record) {
  out_ << detail::AccessLine(record, format_ == ExportFormat::kCsv) << "\n";
  ++access_count_;
}

void ExportWriter::AccessMissing(uint64_t seq) {
  out_ << detail::AccessMissingLine(seq, format_ == ExportFormat::kCsv) << "\n";
}

void ExportWriter::CloseAccess() {
  if (!access_open_) return;
  access_open_ = false;
  out_ << detail::AccessEndLine(access_count_, format_ == ExportFormat::kCsv) << "\n";
  if (format_ == ExportFormat::kCsv) out_ << kCsvColumns << "\n";
}

void ExportWriter::Record(const ExportRecord& r) {
  CloseAccess();
  RecordMeta m = Meta(r.record).value_or(RecordMeta{});
  if (m.offset == 0) m.offset = r.offset;  // damaged: written as it is, under its offset
  std::string b64 = Base64Encode(r.record);
  if (format_ == ExportFormat::kJsonLines) {
    // Written by hand in a fixed order (the verifier's fast path reads it);
    // any JSON reader reads it too.
    std::string proof;
    for (size_t i = 0; i < r.proof.size(); ++i) {
      if (i > 0) proof += ',';
      proof += '"' + ToHex(r.proof[i]) + '"';
    }
    out_ << JsonPrefix(m) << b64 << "\",\"proof\":[" << proof << "]}\n";
  } else {
    std::string proof;
    for (size_t i = 0; i < r.proof.size(); ++i) {
      if (i > 0) proof += ';';
      proof += ToHex(r.proof[i]);
    }
    out_ << CsvPrefix(m) << b64 << ',' << proof << "\n";
  }
  ++count_;
}

void ExportWriter::End() {
  CloseAccess();
  if (format_ == ExportFormat::kJsonLines) {
    out_ << "{\"type\":\"end\",\"count\":" << count_ << "}\n";
  } else {
    out_ << "#end," << count_ << "\n";
  }
  out_.flush();
}

namespace {

// What one slice of record lines holds, and its first problem.
struct Chunk {
  std::string_view text;
  uint64_t lines = 0;    // lines in the slice
  uint64_t records = 0;
  uint64_t first_offset = 0;
  uint64_t first_line = 0;  // 1-based within the slice, of the first record
  bool has_first = false;   // a record line's offset was read (even if the line then failed)
  uint64_t last_offset = 0;
  bool ended = false;     // the end line is in this slice
  uint64_t end_count = 0;
  uint64_t end_line = 0;
  bool after_end = false;  // records after the end line
  // The first problem: line within the slice, offset, text.
  uint64_t bad_line = 0;
  uint64_t bad_offset = 0;
  std::string problem;
};

bool VerifyLine(Chunk* c, const Checkpoint& cp, bool csv, bool complete, std::string_view line,
                InclusionVerifier* verifier_ptr, Parsed* p_ptr, std::string* decoded_ptr,
                uint64_t* last_ptr);

void VerifyChunk(Chunk* c, const Checkpoint& cp, bool csv, bool complete) {
  InclusionVerifier verifier(cp.size, cp.root);
  Parsed p;
  std::string decoded;  // reused for every record
  uint64_t last = 0;
  auto fail = [&](uint64_t line, uint64_t offset, std::string problem) {
    c->bad_line = line;
    c->bad_offset = offset;
    c->problem = std::move(problem);
  };
  std::string_view rest = c->text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++c->lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    try {
      if (!VerifyLine(c, cp, csv, complete, line, &verifier, &p, &decoded, &last)) return;
    } catch (const std::exception& e) {
      return fail(c->lines, 0, std::string("the line could not be read: ") + e.what());
    }
  }
}

// One non-empty line of a slice; false after recording its problem.
bool VerifyLine(Chunk* c, const Checkpoint& cp, bool csv, bool complete, std::string_view line,
                InclusionVerifier* verifier_ptr, Parsed* p_ptr, std::string* decoded_ptr,
                uint64_t* last_ptr) {
  InclusionVerifier& verifier = *verifier_ptr;
  Parsed& p = *p_ptr;
  std::string& decoded = *decoded_ptr;
  uint64_t& last = *last_ptr;
  auto fail = [&](uint64_t at, uint64_t offset, std::string problem) {
    c->bad_line = at;
    c->bad_offset = offset;
    c->problem = std::move(problem);
    return false;
  };
  {
    if (c->ended) {
      c->after_end = true;
      return fail(c->lines, 0, "content after the end line");
    }
    bool is_end = csv ? line.substr(0, 5) == "#end," : line.substr(0, 13) == "{\"type\":\"end\"";
    if (is_end) {
      bool parsed = false;
      if (csv) {
        parsed = ParseU64(line.substr(5), &c->end_count);
      } else {
        // Exactly as written: {"type":"end","count":N}
        constexpr std::string_view kEnd = "{\"type\":\"end\",\"count\":";
        parsed = line.substr(0, kEnd.size()) == kEnd && line.back() == '}' &&
                 ParseU64(line.substr(kEnd.size(), line.size() - kEnd.size() - 1), &c->end_count);
      }
      if (!parsed) return fail(c->lines, 0, "malformed end line");
      c->ended = true;
      c->end_line = c->lines;
      return true;
    }
    // A record line: the offset first, the record and proof last, and in
    // between exactly what the record says (checked below).
    size_t record_at = 0;
    size_t record_end = 0;
    std::string_view proof_text;
    if (csv) {
      size_t comma = line.find(',');
      size_t last_comma = line.rfind(',');
      size_t before = last_comma == std::string_view::npos || last_comma == 0
                          ? std::string_view::npos
                          : line.rfind(',', last_comma - 1);
      if (comma == std::string_view::npos || before == std::string_view::npos || before < comma ||
          !ParseU64(line.substr(0, comma), &p.offset)) {
        return fail(c->lines, 0, "malformed CSV record line");
      }
      record_at = before + 1;
      record_end = last_comma;
      proof_text = line.substr(last_comma + 1);
    } else {
      constexpr std::string_view kStart = "{\"type\":\"record\",\"offset\":";
      constexpr std::string_view kRecord = "\"record\":\"";
      constexpr std::string_view kProof = "\",\"proof\":[";
      size_t digits = line.find(',', kStart.size());
      record_at = line.find(kRecord);
      record_end = record_at == std::string_view::npos ? record_at
                                                        : line.find('"', record_at + kRecord.size());
      if (line.substr(0, kStart.size()) != kStart || digits == std::string_view::npos ||
          !ParseU64(line.substr(kStart.size(), digits - kStart.size()), &p.offset) ||
          record_end == std::string_view::npos ||
          line.substr(record_end, kProof.size()) != kProof || line.size() < record_end + kProof.size() + 2 ||
          line.substr(line.size() - 2) != "]}") {
        return fail(c->lines, 0, "malformed record line (not in this format's canonical form)");
      }
      record_at += kRecord.size();
      proof_text = line.substr(record_end + kProof.size(),
                               line.size() - 2 - record_end - kProof.size());
    }
    p.record_b64 = line.substr(record_at, record_end - record_at);
    uint64_t offset = p.offset;
    if (!SplitProof(proof_text, !csv, &p.proof_hex)) {
      return fail(c->lines, offset, "the proof is not a list of 64-digit lower-case hex hashes");
    }
    if (!c->has_first) {
      c->has_first = true;
      c->first_offset = offset;
      c->first_line = c->lines;
    } else if (offset <= last) {
      return fail(c->lines, offset,
                  fmt::format("offset {} follows offset {}: records are out of order or repeated",
                              offset, last));
    } else if (complete && offset != last + 1) {
      return fail(c->lines, offset,
                  fmt::format("offset {} expected here but found {}: a record is missing or out "
                              "of order (a complete export holds every record 1..{} in order)",
                              last + 1, offset, cp.size));
    }
    if (offset == 0 || offset > cp.size) {
      return fail(c->lines, offset,
                  fmt::format("offset {} is not among the checkpoint's {} records", offset, cp.size));
    }
    if (!Base64DecodeInto(p.record_b64, &decoded)) {
      return fail(c->lines, offset, "the record is not valid base64");
    }
    auto meta = Meta(decoded);
    if (!meta) return fail(c->lines, offset, "the record is damaged: it does not verify as a StoredRecord");
    if (meta->offset != offset) {
      return fail(c->lines, offset,
                  fmt::format("the line says offset {} but the record inside is offset {}", offset,
                              meta->offset));
    }
    std::string prefix = csv ? CsvPrefix(*meta) : JsonPrefix(*meta);
    if (line.substr(0, record_at) != prefix) {
      return fail(c->lines, offset,
                  "the line's readable fields (event id, time, origin, type, case) are not what "
                  "the record says");
    }
    Hash leaf = LeafHash(decoded);
    if (!verifier.Verify(leaf, offset - 1, p.proof_hex)) {
      return fail(c->lines, offset,
                  fmt::format("record {} does not match the signed log: its inclusion proof does "
                              "not lead to the checkpoint's root (the record or its proof was "
                              "altered)",
                              offset));
    }
    last = offset;
    c->last_offset = offset;
    ++c->records;
  }
  return true;
}

VerifyReport VerifyExportTextUnsafe(std::string_view text, const PublicKey& key, size_t threads,
                                    size_t min_parallel_bytes);

}  // namespace

VerifyReport VerifyExportText(std::string_view text, const PublicKey& key, size_t threads,
                              size_t min_parallel_bytes) {
  try {
    return VerifyExportTextUnsafe(text, key, threads, min_parallel_bytes);
  } catch (const std::exception& e) {
    VerifyReport report;
    report.problem = std::string("the export could not be read: ") + e.what();
    return report;
  }
}

namespace {

VerifyReport VerifyExportTextUnsafe(std::string_view text, const PublicKey& key, size_t threads,
                                    size_t min_parallel_bytes) {
  VerifyReport report;
  auto fail = [&](uint64_t line, uint64_t offset, std::string problem) {
    report.ok = false;
    report.line = line;
    report.offset = offset;
    report.problem = std::move(problem);
    return report;
  };
  auto next_line = [&](std::string_view* rest) {
    size_t nl = rest->find('\n');
    std::string_view line = rest->substr(0, nl);
    rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
    return line;
  };
  std::string_view rest = text;
  if (rest.empty()) return fail(1, 0, "empty file: no export header");
  uint64_t line_no = 1;
  std::string_view first = next_line(&rest);
  bool csv = first.substr(0, 20) == "#lintas-audit-export";
  SignedCheckpoint signed_cp;
  std::string signature_b64;
  bool unfiltered = false;  // the header says no criteria were applied
  uint64_t version = 1;
  // Version 2: the consultation section's lines (number, text).
  std::vector<std::pair<uint64_t, std::string_view>> access_lines;
  if (csv) {
    std::string body_b64;
    if (first == "#lintas-audit-export,2") version = 2;
    for (;;) {
      if (rest.empty()) return fail(line_no, 0, "header: no column line");
      std::string_view line = next_line(&rest);
      ++line_no;
      if (line.substr(0, 7) == "offset,") break;
      if (version == 2 && detail::IsAccessLine(line, true)) {
        access_lines.emplace_back(line_no, line);
        continue;
      }
      if (line.substr(0, 12) == "#checkpoint,") body_b64 = line.substr(12);
      if (line.substr(0, 11) == "#signature,") signature_b64 = line.substr(11);
      if (line.substr(0, 10) == "#complete,") report.complete = line.substr(10) == "true";
      if (line.substr(0, 8) == "#filter,") unfiltered = line.substr(8) == "{}";
    }
    auto body = Base64Decode(body_b64);
    if (!body) return fail(line_no, 0, "header: the checkpoint is not base64");
    signed_cp.body = *body;
  } else {
    json h = json::parse(first, nullptr, false);
    auto is = [&](const char* name, json::value_t type) {
      return h.contains(name) && h[name].type() == type;
    };
    if (h.is_discarded() || !h.is_object() || !is("type", json::value_t::string) ||
        h["type"].get<std::string>() != "lintas-audit-export") {
      return fail(1, 0, "line 1 is not a lintas-audit-export header");
    }
    if (!is("version", json::value_t::number_unsigned) || h["version"].get<uint64_t>() < 1 ||
        h["version"].get<uint64_t>() > 2) {
      return fail(1, 0, "unsupported export version");
    }
    version = h["version"].get<uint64_t>();
    // Version 2: the consultation section, up to its end line.
    while (version == 2 && !rest.empty()) {
      std::string_view line = next_line(&rest);
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (!detail::IsAccessLine(line, false)) return fail(line_no, 0, "the consultation section has no end line");
      access_lines.emplace_back(line_no, line);
      if (detail::IsAccessEnd(line, false)) break;
    }
    if (!is("checkpoint", json::value_t::string) || !is("signature", json::value_t::string) ||
        !is("complete", json::value_t::boolean) || !h.contains("filter") || !h["filter"].is_object()) {
      return fail(1, 0, "header: checkpoint, signature, complete or filter missing or of the wrong type");
    }
    signed_cp.body = h["checkpoint"].get<std::string>();
    signature_b64 = h["signature"].get<std::string>();
    report.complete = h["complete"].get<bool>();
    unfiltered = h["filter"].empty();
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
  if (version == 2) {
    detail::AccessVerdict access = detail::VerifyAccessLines(access_lines, *cp, csv, unfiltered);
    report.access_records = access.records;
    if (!access.ok) {
      report.access_seq = access.seq;
      return fail(access.line == 0 ? line_no : access.line, 0, access.problem);
    }
  }

  // The record lines, cut into one slice per thread at line boundaries.
  threads = std::max<size_t>(1, std::min<size_t>(threads, 64));
  if (rest.size() < min_parallel_bytes) threads = 1;
  std::vector<Chunk> chunks(threads);
  size_t begin = 0;
  for (size_t t = 0; t < threads; ++t) {
    size_t end = t + 1 == threads ? rest.size() : rest.size() * (t + 1) / threads;
    if (end < rest.size()) {
      size_t nl = rest.find('\n', std::max(end, begin));
      end = nl == std::string_view::npos ? rest.size() : nl + 1;
    }
    end = std::max(end, begin);
    chunks[t].text = rest.substr(begin, end - begin);
    begin = end;
  }
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        VerifyChunk(&chunks[t], *cp, csv, report.complete);
      } catch (const std::exception& e) {
        chunks[t].bad_line = 1;
        chunks[t].problem = std::string("the export could not be read: ") + e.what();
      }
    });
  }
  VerifyChunk(&chunks[0], *cp, csv, report.complete);
  for (auto& w : workers) w.join();

  // Join the slices in file order; the first problem wins.
  uint64_t last_offset = 0;
  bool ended = false;
  uint64_t base = line_no;  // lines before the slice
  for (const Chunk& c : chunks) {
    if (c.has_first) {
      uint64_t at = base + c.first_line;
      if (ended) return fail(base + c.first_line, c.first_offset, "content after the end line");
      if (c.first_offset <= last_offset) {
        return fail(at, c.first_offset,
                    fmt::format("offset {} follows offset {}: records are out of order or repeated",
                                c.first_offset, last_offset));
      }
      if (report.complete && c.first_offset != last_offset + 1) {
        return fail(at, c.first_offset,
                    fmt::format("offset {} expected here but found {}: a record is missing or out "
                                "of order (a complete export holds every record 1..{} in order)",
                                last_offset + 1, c.first_offset, cp->size));
      }
    }
    if (!c.problem.empty()) {
      report.records += c.records;
      return fail(base + c.bad_line, c.bad_offset, c.problem);
    }
    if (ended && c.lines > 0 && c.records > 0) {
      return fail(base + c.first_line, 0, "content after the end line");
    }
    report.records += c.records;
    if (c.records > 0) last_offset = c.last_offset;
    if (c.ended) {
      if (c.end_count != report.records) {
        return fail(base + c.end_line, 0,
                    fmt::format("the end line says {} records but {} were found: records were "
                                "deleted or added",
                                c.end_count, report.records));
      }
      ended = true;
    }
    base += c.lines;
  }
  if (!ended) {
    return fail(base, last_offset,
                fmt::format("the export is truncated: no end line after {} records", report.records));
  }
  if (report.complete && last_offset != cp->size) {
    return fail(base, last_offset,
                fmt::format("a complete export ends at offset {} but the checkpoint covers {} "
                            "records: the tail is missing",
                            last_offset, cp->size));
  }
  // The header is not signed: completeness is decided by the content alone
  // (offsets strictly increase within 1..size, so `size` records are all).
  bool whole = report.records == cp->size;
  if (unfiltered && !whole) {
    return fail(base, last_offset,
                fmt::format("the header names no filter, yet the export holds {} of the {} records "
                            "the checkpoint covers: records were removed",
                            report.records, cp->size));
  }
  report.complete = whole;
  report.ok = true;
  return report;
}

}  // namespace

VerifyReport VerifyExport(std::istream& in, const PublicKey& key) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return VerifyExportText(text, key, 1);
}

VerifyReport VerifyExportFile(const std::string& path, const PublicKey& key, size_t threads) {
  VerifyReport report;
  int fd = ::open(path.c_str(), O_RDONLY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) ::close(fd);
    report.problem = "cannot read " + path;
    return report;
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return VerifyExportText({}, key, threads);
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    report.problem = "cannot map " + path;
    return report;
  }
  ::madvise(map, size, MADV_SEQUENTIAL);
  report = VerifyExportText({static_cast<const char*>(map), size}, key, threads);
  ::munmap(map, size);
  return report;
}

}  // namespace lintas::audit
