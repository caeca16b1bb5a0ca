// DeadLetters: one fsynced JSON file per entry.
#include "dead_letters.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace lintas::webhook {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

Error IoError(const std::string& what, const std::string& path) {
  return Error{std::error_code(errno, std::generic_category()),
               fmt::format("dead-letter queue: {} {}: {}", what, path, std::strerror(errno))};
}

Result<void> SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync", path);
  return {};
}

// Writes `content` to `path` so that after a crash the file is absent or whole.
Result<void> WriteDurably(const std::string& dir, const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create", tmp);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return IoError("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return IoError("cannot sync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename", tmp);
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace

json DeadLetter::ToJson() const {
  return {{"seq", seq},           {"event_id", event_id},   {"case_key", case_key},     {"offset", offset},
          {"received_at_us", received_at_us}, {"publisher", publisher}, {"body_type", body_type},
          {"attempts", attempts}, {"last_error", last_error}, {"held_behind", held_behind},
          {"dead_at_us", dead_at_us}};
}

std::optional<DeadLetter> DeadLetter::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("event_id") || !j.contains("seq")) return std::nullopt;
  DeadLetter d;
  try {
    d.seq = j.at("seq").get<uint64_t>();
    d.event_id = j.at("event_id").get<std::string>();
    d.case_key = j.value("case_key", d.event_id);
    d.offset = j.value("offset", uint64_t{0});
    d.received_at_us = j.value("received_at_us", int64_t{0});
    d.publisher = j.value("publisher", "");
    d.body_type = j.value("body_type", "");
    d.attempts = j.value("attempts", 0u);
    d.last_error = j.value("last_error", "");
    d.held_behind = j.value("held_behind", "");
    d.dead_at_us = j.value("dead_at_us", int64_t{0});
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return d;
}

Result<std::unique_ptr<DeadLetters>> DeadLetters::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{ec, fmt::format("dead-letter queue: cannot create {}: {}", dir, ec.message())};
  std::unique_ptr<DeadLetters> q(new DeadLetters(dir));
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    std::string name = f.path().filename().string();
    if (f.path().extension() == ".tmp") {  // a write cut by a crash: never acknowledged
      fs::remove(f.path(), ec);
      continue;
    }
    if (f.path().extension() != ".json") continue;
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto d = DeadLetter::FromJson(json::parse(ss.str(), nullptr, false));
    if (!d) return Error{std::make_error_code(std::errc::bad_message), "dead-letter queue: unreadable entry " + name};
    q->by_event_[d->event_id] = d->seq;
    q->next_seq_ = std::max(q->next_seq_, d->seq + 1);
    q->entries_[d->seq] = std::move(*d);
  }
  if (ec) return Error{ec, fmt::format("dead-letter queue: cannot list {}: {}", dir, ec.message())};
  return q;
}

std::string DeadLetters::PathOf(uint64_t seq) const { return fmt::format("{}/{:016}.json", dir_, seq); }

Result<void> DeadLetters::AddLocked(DeadLetter entry) {
  if (by_event_.count(entry.event_id)) return {};
  entry.seq = next_seq_++;
  if (auto w = WriteDurably(dir_, PathOf(entry.seq), entry.ToJson().dump()); !w.ok()) return w;
  by_event_[entry.event_id] = entry.seq;
  entries_[entry.seq] = std::move(entry);
  return {};
}

Result<void> DeadLetters::Add(DeadLetter entry) {
  std::lock_guard lock(mu_);
  return AddLocked(std::move(entry));
}

Result<bool> DeadLetters::HoldIfBlocked(DeadLetter entry) {
  std::lock_guard lock(mu_);
  if (by_event_.count(entry.event_id)) return true;  // queued before a restart
  for (const auto& [seq, d] : entries_) {
    if (d.case_key != entry.case_key) continue;
    entry.held_behind = d.event_id;
    if (auto a = AddLocked(std::move(entry)); !a.ok()) return a.error();
    return true;
  }
  return false;
}

Result<void> DeadLetters::Remove(const std::string& event_id) {
  std::lock_guard lock(mu_);
  auto it = by_event_.find(event_id);
  if (it == by_event_.end()) return {};
  std::string path = PathOf(it->second);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot remove", path);
  if (auto s = SyncPath(dir_, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  entries_.erase(it->second);
  by_event_.erase(it);
  return {};
}

std::vector<DeadLetter> DeadLetters::List() const {
  std::lock_guard lock(mu_);
  std::vector<DeadLetter> out;
  for (const auto& [seq, d] : entries_) out.push_back(d);
  return out;
}

std::optional<DeadLetter> DeadLetters::Find(const std::string& event_id) const {
  std::lock_guard lock(mu_);
  auto it = by_event_.find(event_id);
  if (it == by_event_.end()) return std::nullopt;
  return entries_.at(it->second);
}

std::optional<DeadLetter> DeadLetters::HeadOf(const std::string& case_key) const {
  std::lock_guard lock(mu_);
  for (const auto& [seq, d] : entries_) {
    if (d.case_key == case_key) return d;
  }
  return std::nullopt;
}

size_t DeadLetters::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace lintas::webhook
