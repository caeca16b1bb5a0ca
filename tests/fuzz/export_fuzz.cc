// libFuzzer harness: the offline export verifier (`lintas audit verify`),
// which reads files an auditor may receive from anywhere. Half the inputs
// are taken as an export as they are; the other half are edits (replace a
// byte, delete, duplicate or swap lines, truncate) applied to a valid export
// of 40 records signed by a fixed key. Every input is verified with one
// thread and with parallel slices: the two reports must agree, and an edited
// export that still verifies must be byte-identical to the valid one in its
// records (what it proves is unchanged).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/export_format.h"
#include "lintas/audit/merkle.h"
#include "lintas/audit/signer.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/record.h"
#include "lintas/wire/bytes.h"

namespace {

using namespace lintas;

struct Fixture {
  audit::PublicKey key{};
  std::string valid;
  std::vector<std::string> lines;
};

const Fixture& Valid() {
  static const Fixture f = [] {
    Fixture out;
    std::array<uint8_t, 32> seed{};
    seed.fill(7);
    audit::Signer signer = audit::Signer::FromSeed(seed);
    out.key = signer.public_key();
    std::vector<std::string> records;
    std::vector<audit::Hash> leaves;
    for (uint64_t i = 1; i <= 40; ++i) {
      std::array<uint8_t, 16> id{};
      id[0] = 0x01;
      id[6] = 0x70;
      id[8] = 0x80;
      id[15] = static_cast<uint8_t>(i);
      std::string event = wire::MinimalReferral(wire::EventId(id), "THA", "th-rtp-atpd", "KHM",
                                                "kh-mosvy", 16);
      records.push_back(wire::EncodeRecord(i, 1790000000000000 + static_cast<int64_t>(i),
                                           {"th-node", "THA", ""}, wire::AsBytes(event)));
      leaves.push_back(audit::LeafHash(records.back()));
    }
    audit::Checkpoint cp{"fuzz-broker", leaves.size(), audit::RootOf(leaves), 0,
                         audit::EmptyRoot(), 1790000000000000};
    audit::ExportHeader header;
    header.checkpoint = signer.Sign(cp);
    header.public_key = signer.public_key();
    header.complete = true;
    std::ostringstream text;
    audit::ExportWriter writer(text, audit::ExportFormat::kJsonLines);
    writer.Header(header);
    auto range = [&](uint64_t b, uint64_t e) -> Result<audit::Hash> {
      return audit::RootOf(std::span(leaves).subspan(b, e - b));
    };
    for (uint64_t i = 0; i < records.size(); ++i) {
      writer.Record({records[i], *audit::InclusionProof(i, leaves.size(), range)});
    }
    writer.End();
    out.valid = text.str();
    std::istringstream in(out.valid);
    for (std::string line; std::getline(in, line);) out.lines.push_back(line);
    return out;
  }();
  return f;
}

std::string Edit(const uint8_t* data, size_t size) {
  const Fixture& f = Valid();
  std::vector<std::string> lines = f.lines;
  for (size_t i = 1; i + 4 <= size; i += 4) {
    if (lines.empty()) break;
    size_t line = data[i + 1] % lines.size();
    switch (data[i] % 6) {
      case 0: {  // replace one byte
        std::string& l = lines[line];
        if (!l.empty()) l[(data[i + 2] * 256u + data[i + 3]) % l.size()] = static_cast<char>(data[i + 3]);
        break;
      }
      case 1: lines.erase(lines.begin() + static_cast<ptrdiff_t>(line)); break;
      case 2: lines.insert(lines.begin() + static_cast<ptrdiff_t>(line), lines[line]); break;
      case 3: std::swap(lines[line], lines[data[i + 2] % lines.size()]); break;
      case 4: lines.resize(line); break;
      case 5: {  // cut a line short
        std::string& l = lines[line];
        l.resize((data[i + 2] * 256u + data[i + 3]) % (l.size() + 1));
        break;
      }
    }
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = Valid();
  std::string text = size > 0 && data[0] % 2 == 0 ? Edit(data, size)
                                                  : std::string(reinterpret_cast<const char*>(data), size);
  audit::VerifyReport one = audit::VerifyExportText(text, f.key, 1);
  audit::VerifyReport many = audit::VerifyExportText(text, f.key, 3, 0);
  if (one.ok != many.ok || one.line != many.line || one.offset != many.offset ||
      one.problem != many.problem || one.records != many.records) {
    std::abort();  // the parallel verifier disagrees with the sequential one
  }
  if (one.ok && text != f.valid) {
    // Only changes that leave every record line's content intact may pass
    // (e.g. a blank line); the records and their order must be the valid ones.
    std::vector<std::string> kept;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("{\"type\":\"record\"", 0) == 0) kept.push_back(line);
    }
    std::vector<std::string> expected(f.lines.begin() + 1, f.lines.end() - 1);
    if (kept.size() != expected.size()) std::abort();
    for (size_t i = 0; i < kept.size(); ++i) {
      // A record line may differ only outside "record"/"proof" (metadata is
      // informational); the offsets and records themselves must match.
      auto field = [](const std::string& l, const char* key) {
        size_t at = l.find(key);
        return at == std::string::npos ? std::string() : l.substr(at, l.find('"', at + std::strlen(key)) - at);
      };
      if (field(kept[i], "\"record\":\"") != field(expected[i], "\"record\":\"")) std::abort();
    }
  }
  return 0;
}
