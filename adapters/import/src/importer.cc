// The two passes of an import: validate every row (locally, then the node's
// dry run), then submit every row.
#include "importer.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "node_client.h"

namespace lintas::importer {
namespace {

using nlohmann::json;

enum class State { kInvalid, kNew, kAlready, kRefusedEarlier, kImported, kFailed };

struct Work {
  const Row* row = nullptr;
  json body;
  State state = State::kInvalid;
  std::string event_id;
  std::string broker;  // wait_s: "acknowledged" or "refused"
};

// A reply that stops the whole run (not a verdict on one row).
struct Fatal {
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::string message;
  int exit_code = kExitOk;
  void Set(std::string m, int code) {
    std::lock_guard lock(mu);
    if (stop.exchange(true)) return;
    message = std::move(m);
    exit_code = code;
  }
};

// Calls fn(client, i) for every i < n from `parallel` threads, each with its
// own keep-alive connection; stops handing out work once fatal.stop is set.
template <typename Fn>
void ForEach(size_t n, const ImportConfig& config, const std::string& token, Fatal& fatal, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    NodeClient client(config, token);
    for (size_t i = next++; i < n && !fatal.stop; i = next++) fn(client, i);
  };
  size_t threads = std::min<size_t>(config.parallel, n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (threads > 0) worker();
  for (auto& t : pool) t.join();
}

// Whether a reply is about the row (false: `fatal` is set).
bool AboutTheRow(const Reply& reply, Fatal& fatal) {
  if (reply.status == 0) {
    fatal.Set(ErrorText(reply), kExitUnreachable);
  } else if (reply.status == 401) {
    fatal.Set("the node refused the token (401): make a new one (lintas admin token create)",
              kExitBadInput);
  } else if (reply.status == 429 || reply.status >= 500 || !reply.body.is_object()) {
    fatal.Set(fmt::format("the node failed (HTTP {}): {}", reply.status, ErrorText(reply)),
              kExitFailure);
  } else {
    return true;
  }
  return false;
}

// The node's refusal of a row, naming the column its field came from.
RowError Refusal(const Work& w, const Reply& reply, const Mapping& mapping) {
  std::string field = reply.body.contains("error") ? reply.body["error"].value("field", "") : "";
  std::string message = ErrorText(reply);
  if (!field.empty() && message.rfind(field + ": ", 0) == 0)
    message = message.substr(field.size() + 2);
  std::string column;
  if (field == "client_ref") {
    column = mapping.id_column;
  } else if (const FieldRule* rule = mapping.RuleFor(field)) {
    column = rule->column;
    if (column.empty()) message += " (a constant value of the mapping)";
  }
  return RowError{w.row->number, w.row->line, column, field, "refused by the node: " + message};
}

void Classify(Work& w, const Reply& reply) {
  w.event_id = reply.body.value("id", "");
  if (!reply.body.value("duplicate", false)) return;
  w.state = reply.body.value("status", "") == "refused" ? State::kRefusedEarlier : State::kAlready;
}

// First pass: every row mapped, then checked by the node (dry run).
void Validate(const Source& source, const Mapping& mapping, const ImportConfig& config,
              const std::string& token, std::vector<Work>& work, std::vector<RowError>& errors,
              Fatal& fatal) {
  std::map<std::string, size_t> ids;
  for (const Row& row : source.rows) {
    Mapped m = ApplyMapping(mapping, row.record);
    for (const auto& e : m.errors)
      errors.push_back(RowError{row.number, row.line, e.column, e.api_field, e.message});
    if (!m.row_id.empty()) {
      auto [it, added] = ids.emplace(m.row_id, row.number);
      if (!added) {
        errors.push_back(RowError{
            row.number, row.line, mapping.id_column, "",
            fmt::format("the same id as row {} (each row needs its own stable id)", it->second)});
        continue;
      }
    }
    if (m.errors.empty()) work.push_back(Work{&row, std::move(m.body), State::kNew, "", ""});
  }
  std::vector<std::optional<RowError>> refused(work.size());
  ForEach(work.size(), config, token, fatal, [&](NodeClient& client, size_t i) {
    Reply reply = client.Post(mapping.route + "?dry_run=true", work[i].body);
    if (!AboutTheRow(reply, fatal)) return;
    if (reply.status == 200) return Classify(work[i], reply);
    refused[i] = Refusal(work[i], reply, mapping);
  });
  for (auto& r : refused) {
    if (r) errors.push_back(std::move(*r));
  }
}

// Second pass: every row not imported before.
void Submit(const Mapping& mapping, const ImportConfig& config, const std::string& token,
            std::vector<Work>& work, std::vector<RowError>& errors, Fatal& fatal) {
  std::vector<std::optional<RowError>> refused(work.size());
  ForEach(work.size(), config, token, fatal, [&](NodeClient& client, size_t i) {
    Work& w = work[i];
    if (w.state != State::kNew) return;
    Reply reply = client.Post(mapping.route, w.body);
    if (!AboutTheRow(reply, fatal)) return;
    if (reply.status == 202 || reply.status == 200) {
      w.state = State::kImported;
      return Classify(w, reply);
    }
    w.state = State::kFailed;
    refused[i] = Refusal(w, reply, mapping);
  });
  for (auto& r : refused) {
    if (r) errors.push_back(std::move(*r));
  }
}

// wait_s: the broker's answer to each row imported by this run.
void AwaitBroker(const ImportConfig& config, const std::string& token, std::vector<Work>& work,
                 std::vector<RowError>& errors, Fatal& fatal) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config.wait_s);
  std::vector<std::optional<RowError>> refused(work.size());
  ForEach(work.size(), config, token, fatal, [&](NodeClient& client, size_t i) {
    Work& w = work[i];
    if (w.state != State::kImported || w.event_id.empty()) return;
    while (std::chrono::steady_clock::now() < deadline && !fatal.stop) {
      Reply reply = client.Get("/v1/events/" + w.event_id);
      if (!AboutTheRow(reply, fatal)) return;
      std::string status = reply.body.value("status", "");
      if (status == "acknowledged" || status == "refused") {
        w.broker = status;
        if (status == "refused") {
          std::string why =
              reply.body.contains("error") ? reply.body["error"].value("message", "") : "";
          refused[i] =
              RowError{w.row->number, w.row->line, "", "", "refused by the broker: " + why};
        }
        return;
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(100));  // polling the node, not synchronising
    }
  });
  for (auto& r : refused) {
    if (r) errors.push_back(std::move(*r));
  }
}

void Print(const std::string& path, std::vector<RowError>& errors, std::ostream& err) {
  std::stable_sort(errors.begin(), errors.end(),
                   [](const RowError& a, const RowError& b) { return a.row < b.row; });
  for (const auto& e : errors) err << path << ": " << Describe(e) << "\n";
}

size_t RowsWithErrors(const std::vector<RowError>& errors) {
  std::vector<size_t> rows;
  for (const auto& e : errors) rows.push_back(e.row);
  std::sort(rows.begin(), rows.end());
  return static_cast<size_t>(std::unique(rows.begin(), rows.end()) - rows.begin());
}

}  // namespace

FileReport ImportFile(const std::string& path, const Mapping& mapping, const ImportConfig& config,
                      const std::string& token, const RunOptions& options, std::ostream& out,
                      std::ostream& err) {
  FileReport report;
  auto fail = [&](const std::string& message, int code) {
    err << path << ": " << message << "\n";
    report.exit_code = code;
    return report;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read the file", kExitBadInput);
  std::stringstream text;
  text << in.rdbuf();
  auto format = FormatOf(path, mapping);
  if (!format.ok()) return fail(format.error().message, kExitBadInput);
  auto source = ReadSource(text.str(), *format, mapping);
  if (!source.ok()) return fail(source.error().message + "; nothing imported", kExitBadInput);
  report.rows = source->rows.size() + RowsWithErrors(source->errors);
  report.errors = source->errors;

  std::vector<Work> work;
  Fatal fatal;
  Validate(*source, mapping, config, token, work, report.errors, fatal);
  if (fatal.stop) return fail(fatal.message + "; nothing imported", fatal.exit_code);
  if (!report.errors.empty()) {
    Print(path, report.errors, err);
    return fail(fmt::format("{} rows, {} with errors: nothing imported", report.rows,
                            RowsWithErrors(report.errors)),
                kExitBadInput);
  }
  auto count = [&](State s) {
    return static_cast<size_t>(
        std::count_if(work.begin(), work.end(), [s](const Work& w) { return w.state == s; }));
  };
  if (options.dry_run) {
    out << fmt::format(
        "{}: {} rows valid: {} to import, {} already imported (dry run: nothing sent)\n", path,
        report.rows, count(State::kNew), count(State::kAlready) + count(State::kRefusedEarlier));
    return report;
  }
  Submit(mapping, config, token, work, report.errors, fatal);
  report.imported = count(State::kImported);
  report.already = count(State::kAlready);
  report.refused_earlier = count(State::kRefusedEarlier);
  if (config.wait_s > 0 && !fatal.stop && report.errors.empty())
    AwaitBroker(config, token, work, report.errors, fatal);
  for (const auto& w : work) report.acknowledged += w.broker == "acknowledged" ? 1 : 0;
  Print(path, report.errors, err);
  std::string summary = fmt::format("{}: {} rows: {} imported, {} already imported", path,
                                    report.rows, report.imported, report.already);
  if (report.refused_earlier > 0)
    summary +=
        fmt::format(", {} imported earlier and refused by the broker", report.refused_earlier);
  if (config.wait_s > 0)
    summary += fmt::format("; {} acknowledged by the broker", report.acknowledged);
  out << summary << "\n";
  if (fatal.stop || count(State::kFailed) > 0) {
    if (fatal.stop) err << path << ": " << fatal.message << "\n";
    err << path
        << ": the import stopped part-way; run it again to complete it (rows already imported are "
           "not sent twice)\n";
    report.exit_code = fatal.stop ? fatal.exit_code : kExitFailure;
    return report;
  }
  if (!report.errors.empty() || report.refused_earlier > 0) report.exit_code = kExitRefused;
  return report;
}

}  // namespace lintas::importer
