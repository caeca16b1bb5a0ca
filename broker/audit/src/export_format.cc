// Writing and verifying audit exports.
#include "lintas/audit/export_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
bool FastJsonRecord(std::string_view line, Parsed* p, size_t* end) {
  // The keys before the record are short: look for them near the start only
  // (the line may run on into the next ones when parsed in place).
  std::string_view head = line.substr(0, 1024);
  auto value_after = [&](std::string_view key) -> size_t {
    size_t at = head.find(key);
    return at == std::string_view::npos ? at : at + key.size();
  };
  size_t o = value_after("\"offset\":");
  size_t r = value_after("\"record\":\"");
  if (o == std::string_view::npos || r == std::string_view::npos) return false;
  size_t o_end = line.find_first_not_of("0123456789", o);
  if (o_end == std::string_view::npos || !ParseU64(line.substr(o, o_end - o), &p->offset)) {
    return false;
  }
  // The proof follows the record as written.
  size_t r_close = line.find('"', r);
  if (r_close == std::string_view::npos) return false;
  p->record_b64 = line.substr(r, r_close - r);
  constexpr std::string_view kProof = "\",\"proof\":[";
  if (line.substr(r_close, kProof.size()) != kProof) return false;
  size_t i = r_close + kProof.size();
  p->proof_hex.clear();
  while (i < line.size() && line[i] != ']') {
    if (line[i] == ',') ++i;
    if (i + 66 > line.size() || line[i] != '"' || line[i + 65] != '"') return false;
    p->proof_hex.push_back(line.substr(i + 1, 64));
    i += 66;
  }
  if (i >= line.size()) return false;
  if (end != nullptr) *end = i;
  return true;
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

namespace {

// What one slice of record lines holds, and its first problem.
struct Chunk {
  std::string_view text;
  uint64_t lines = 0;    // lines in the slice
  uint64_t records = 0;
  uint64_t first_offset = 0;
  uint64_t first_line = 0;  // 1-based within the slice, of the first record
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
  std::string_view fast_window;
  while (!rest.empty()) {
    // A record line as this tool writes it ends in "]}\n" right after its
    // proof: parse it in place and skip the scan for the newline.
    std::string_view line;
    bool parsed_fast = false;
    if (!csv && rest.substr(0, 16) == "{\"type\":\"record\"") {
      size_t end = 0;
      if (FastJsonRecord(rest, &p, &end) && end + 2 < rest.size() && rest[end] == ']' &&
          rest[end + 1] == '}' && rest[end + 2] == '\n') {
        line = rest.substr(0, end + 2);
        rest.remove_prefix(end + 3);
        parsed_fast = true;
      }
    }
    if (!parsed_fast) {
      size_t nl = rest.find('\n');
      line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    ++c->lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (c->ended) {
      c->after_end = true;
      return fail(c->lines, 0, "content after the end line");
    }
    if (csv ? line.substr(0, 5) == "#end," : line.substr(0, 13) == "{\"type\":\"end\"") {
      bool parsed = false;
      if (csv) {
        parsed = ParseU64(line.substr(5), &c->end_count);
      } else {
        json e = json::parse(line, nullptr, false);
        parsed = !e.is_discarded() && e.contains("count") && e["count"].is_number_unsigned();
        if (parsed) c->end_count = e["count"].get<uint64_t>();
      }
      if (!parsed) return fail(c->lines, 0, "malformed end line");
      c->ended = true;
      c->end_line = c->lines;
      continue;
    }
    std::string record_b64_storage;
    std::vector<std::string> proof_storage;
    if (csv) {
      std::vector<std::string_view> cols;
      std::string_view r = line;
      for (size_t at; (at = r.find(',')) != std::string_view::npos;) {
        cols.push_back(r.substr(0, at));
        r.remove_prefix(at + 1);
      }
      cols.push_back(r);
      // Quoted fields (origin, case id) never hold the columns needed here:
      // the first, and the last two.
      if (cols.size() < 8 || !ParseU64(cols[0], &p.offset)) {
        return fail(c->lines, 0, "malformed CSV record line");
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
    } else if (!parsed_fast && !FastJsonRecord(line, &p, nullptr)) {
      json r = json::parse(line, nullptr, false);
      if (r.is_discarded() || !r.is_object() || r.value("type", "") != "record" ||
          !r.contains("offset") || !r["offset"].is_number_unsigned() || !r.contains("record") ||
          !r["record"].is_string() || !r.contains("proof") || !r["proof"].is_array()) {
        return fail(c->lines, 0, "malformed record line (not JSON, or offset/record/proof missing)");
      }
      p.offset = r["offset"].get<uint64_t>();
      record_b64_storage = r["record"].get<std::string>();
      p.record_b64 = record_b64_storage;
      p.proof_hex.clear();
      for (const auto& h : r["proof"]) {
        if (!h.is_string()) return fail(c->lines, p.offset, "a proof hash is not a string");
        proof_storage.push_back(h.get<std::string>());
      }
      for (const auto& h : proof_storage) p.proof_hex.push_back(h);
    }
    uint64_t offset = p.offset;
    if (c->records == 0) {
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
    const std::string* bytes = &decoded;
    // The record's own structure (the event inside is covered by the hash).
    flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
    if (!v.VerifyBuffer<fb::StoredRecord>(fb::StoredRecordIdentifier())) {
      return fail(c->lines, offset, "the record is damaged: it is not a valid StoredRecord");
    }
    uint64_t inner = fb::GetStoredRecord(bytes->data())->offset();
    if (inner != offset) {
      return fail(c->lines, offset,
                  fmt::format("the line says offset {} but the record inside is offset {}", offset,
                              inner));
    }
    Hash leaf = LeafHash(*bytes);
    bool bad_hex = false;
    auto at = [&](size_t i) -> std::optional<Hash> {
      auto h = FromHex(p.proof_hex[i]);
      if (!h) bad_hex = true;
      return h;
    };
    if (!verifier.Verify(leaf, offset - 1, p.proof_hex.size(), at)) {
      return fail(c->lines, offset,
                  bad_hex ? std::string("a proof hash is not 64 hex digits")
                          : fmt::format("record {} does not match the signed log: its inclusion "
                                        "proof does not lead to the checkpoint's root (the record "
                                        "or its proof was altered)",
                                        offset));
    }
    last = offset;
    c->last_offset = offset;
    ++c->records;
  }
}

}  // namespace

VerifyReport VerifyExportText(std::string_view text, const PublicKey& key, size_t threads,
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
  if (csv) {
    std::string body_b64;
    for (;;) {
      if (rest.empty()) return fail(line_no, 0, "header: no column line");
      std::string_view line = next_line(&rest);
      ++line_no;
      if (line.substr(0, 7) == "offset,") break;
      if (line.substr(0, 12) == "#checkpoint,") body_b64 = line.substr(12);
      if (line.substr(0, 11) == "#signature,") signature_b64 = line.substr(11);
      if (line.substr(0, 10) == "#complete,") report.complete = line.substr(10) == "true";
    }
    auto body = Base64Decode(body_b64);
    if (!body) return fail(line_no, 0, "header: the checkpoint is not base64");
    signed_cp.body = *body;
  } else {
    json h = json::parse(first, nullptr, false);
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
    workers.emplace_back([&, t] { VerifyChunk(&chunks[t], *cp, csv, report.complete); });
  }
  VerifyChunk(&chunks[0], *cp, csv, report.complete);
  for (auto& w : workers) w.join();

  // Join the slices in file order; the first problem wins.
  uint64_t last_offset = 0;
  bool ended = false;
  uint64_t base = line_no;  // lines before the slice
  for (const Chunk& c : chunks) {
    if (c.records > 0) {
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
  report.ok = true;
  return report;
}

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
