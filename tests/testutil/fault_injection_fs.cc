// The fault-injecting RocksDB file system for tests.
#include "testutil/fault_injection_fs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

namespace lintas::testutil {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::string Normalise(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string ParentOf(const std::string& normalised) {
  return std::filesystem::path(normalised).parent_path().string();
}

// A writable file that reports its appends and syncs to the file system and
// asks it first whether to fail. While the power is off its writes and syncs
// succeed and reach nothing (the process is as good as dead; failing them
// would only exercise error paths a dead process never runs). Owns the real
// file; used by one RocksDB thread at a time (RocksDB's contract).
class FaultWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path,
                    FaultInjectionFs* fs, uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(file)), path_(std::move(path)), fs_(fs), size_(size) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    return Write(data.size(), size_, [&] { return target()->Append(data, o, dbg); });
  }
  IOStatus Append(const Slice& data, const IOOptions& o,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    return Write(data.size(), size_, [&] { return target()->Append(data, o, info, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    return Write(data.size(), offset,
                 [&] { return target()->PositionedAppend(data, offset, o, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    return Write(data.size(), offset,
                 [&] { return target()->PositionedAppend(data, offset, o, info, dbg); });
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    if (!fs_->powered()) return IOStatus::OK();
    IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok()) Grew(size);
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Sync(o, dbg); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Fsync(o, dbg); });
  }

 private:
  template <typename F>
  IOStatus Write(uint64_t length, uint64_t at, F write) {
    if (!fs_->powered()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultOp::kAppend, path_); !s.ok()) return s;
    fs_->Overwriting(path_, at, length);
    IOStatus s = write();
    if (s.ok()) Grew(std::max(size_, at + length));
    return s;
  }
  template <typename F>
  IOStatus SyncWith(F sync) {
    if (!fs_->powered()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultOp::kSync, path_); !s.ok()) return s;
    IOStatus s = sync();
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  void Grew(uint64_t size) {
    size_ = size;
    fs_->Appended(path_, size_);
  }

  std::string path_;
  FaultInjectionFs* fs_;  // not owned; outlives the file
  uint64_t size_;
};

// A directory whose fsync makes the names of the files in it durable.
class FaultDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> dir, std::string path,
                 FaultInjectionFs* fs)
      : FSDirectoryWrapper(std::move(dir)), path_(std::move(path)), fs_(fs) {}

  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    if (!fs_->powered()) return IOStatus::OK();
    IOStatus s = FSDirectoryWrapper::Fsync(o, dbg);
    if (s.ok()) fs_->DirectorySynced(path_);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& options) override {
    if (!fs_->powered()) return IOStatus::OK();
    IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, options);
    if (s.ok()) fs_->DirectorySynced(path_);
    return s;
  }

 private:
  std::string path_;
  FaultInjectionFs* fs_;  // not owned; outlives the directory
};

}  // namespace

FaultInjectionFs::FaultInjectionFs(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(base) {}

void FaultInjectionFs::InjectError(FaultOp op, std::string_view name_suffix, int count) {
  std::lock_guard lock(mu_);
  injection_ = {op, std::string(name_suffix), count};
}

int FaultInjectionFs::errors_injected() const {
  std::lock_guard lock(mu_);
  return errors_injected_;
}

void FaultInjectionFs::CutPower() {
  std::lock_guard lock(mu_);
  powered_ = false;
}

PowerCutReport FaultInjectionFs::RestorePower() {
  std::lock_guard lock(mu_);
  PowerCutReport report;
  IOOptions io;
  for (const auto& [path, state] : files_) {
    uint64_t on_disk = 0;
    if (!target()->GetFileSize(path, io, &on_disk, nullptr).ok()) continue;  // deleted
    if (!state.name_synced) {
      report.bytes_dropped += on_disk;
      if (IOStatus d = target()->DeleteFile(path, io, nullptr); d.ok()) {
        ++report.files_deleted;
      } else {
        report.errors.push_back(d.ToString());
      }
      continue;
    }
    // Newest first, so that the durable bytes are the ones left; only below
    // the synced size (a truncation since may have lowered it), before the
    // file is cut to it.
    for (auto it = state.overwritten.rbegin(); it != state.overwritten.rend(); ++it) {
      if (it->first >= state.synced_size) continue;
      size_t length = std::min<uint64_t>(it->second.size(), state.synced_size - it->first);
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(it->first));
      f.write(it->second.data(), static_cast<std::streamsize>(length));
      if (!f) report.errors.push_back(path + ": could not put back overwritten bytes");
      report.bytes_dropped += length;
    }
    if (on_disk > state.synced_size) {
      report.bytes_dropped += on_disk - state.synced_size;
      // RocksDB's PosixFileSystem does not implement Truncate.
      std::error_code ec;
      std::filesystem::resize_file(path, state.synced_size, ec);
      if (ec) report.errors.push_back(path + ": " + ec.message());
    }
  }
  files_.clear();  // what is on disk now is durable
  injection_ = {};
  powered_ = true;
  return report;
}

bool FaultInjectionFs::powered() const {
  std::lock_guard lock(mu_);
  return powered_;
}

IOStatus FaultInjectionFs::Check(FaultOp op, const std::string& path) {
  std::lock_guard lock(mu_);
  if (injection_.remaining > 0 && injection_.op == op && path.ends_with(injection_.suffix)) {
    --injection_.remaining;
    ++errors_injected_;
    return IOStatus::IOError("fault injection: injected error", path);
  }
  return IOStatus::OK();
}

IOStatus FaultInjectionFs::CheckPower(const std::string& path) {
  std::lock_guard lock(mu_);
  if (!powered_) return IOStatus::IOError("fault injection: power cut", path);
  return IOStatus::OK();
}

void FaultInjectionFs::Appended(const std::string& path, uint64_t new_size) {
  std::lock_guard lock(mu_);
  FileState& state = files_[path];
  state.size = new_size;
  state.synced_size = std::min(state.synced_size, new_size);  // truncated
}

void FaultInjectionFs::Overwriting(const std::string& path, uint64_t at, uint64_t length) {
  std::lock_guard lock(mu_);
  FileState& state = files_[path];
  if (at >= state.synced_size) return;
  std::string old(std::min(length, state.synced_size - at), '\0');
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(at));
  in.read(old.data(), static_cast<std::streamsize>(old.size()));
  old.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  state.overwritten.emplace_back(at, std::move(old));
}

void FaultInjectionFs::Synced(const std::string& path) {
  std::lock_guard lock(mu_);
  FileState& state = files_[path];
  state.synced_size = state.size;
  state.overwritten.clear();
}

void FaultInjectionFs::DirectorySynced(const std::string& dir) {
  std::lock_guard lock(mu_);
  for (auto& [path, state] : files_) {
    if (ParentOf(path) == dir) state.name_synced = true;
  }
}

IOStatus FaultInjectionFs::TrackNewFile(const std::string& fname, bool existed,
                                        std::unique_ptr<rocksdb::FSWritableFile>* result) {
  std::string path = Normalise(fname);
  uint64_t size = 0;
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      // Untracked: everything it holds is durable, name included.
      uint64_t on_disk = 0;
      if (existed && !target()->GetFileSize(path, IOOptions(), &on_disk, nullptr).ok()) {
        on_disk = 0;
      }
      it = files_.emplace(path, FileState{on_disk, on_disk, existed, {}}).first;
    }
    size = it->second.size;
  }
  *result = std::make_unique<FaultWritableFile>(std::move(*result), path, this, size);
  return IOStatus::OK();
}

IOStatus FaultInjectionFs::NewWritableFile(const std::string& fname,
                                           const rocksdb::FileOptions& opts,
                                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                                           IODebugContext* dbg) {
  if (IOStatus s = CheckPower(fname); !s.ok()) return s;
  bool existed = target()->FileExists(fname, IOOptions(), dbg).ok();
  IOStatus s = target()->NewWritableFile(fname, opts, result, dbg);
  if (!s.ok()) return s;
  {
    // Created or truncated: none of its data is durable any more; its name
    // is if it existed durably before.
    std::lock_guard lock(mu_);
    auto it = files_.find(Normalise(fname));
    bool name_synced = existed && (it == files_.end() || it->second.name_synced);
    files_[Normalise(fname)] = FileState{0, 0, name_synced, {}};
  }
  return TrackNewFile(fname, true, result);
}

IOStatus FaultInjectionFs::ReopenWritableFile(const std::string& fname,
                                              const rocksdb::FileOptions& opts,
                                              std::unique_ptr<rocksdb::FSWritableFile>* result,
                                              IODebugContext* dbg) {
  if (IOStatus s = CheckPower(fname); !s.ok()) return s;
  bool existed = target()->FileExists(fname, IOOptions(), dbg).ok();
  IOStatus s = target()->ReopenWritableFile(fname, opts, result, dbg);
  if (!s.ok()) return s;
  return TrackNewFile(fname, existed, result);
}

IOStatus FaultInjectionFs::ReuseWritableFile(const std::string&, const std::string&,
                                             const rocksdb::FileOptions&,
                                             std::unique_ptr<rocksdb::FSWritableFile>*,
                                             IODebugContext*) {
  return IOStatus::NotSupported("FaultInjectionFs: WAL recycling");
}

IOStatus FaultInjectionFs::NewDirectory(const std::string& name, const IOOptions& opts,
                                        std::unique_ptr<rocksdb::FSDirectory>* result,
                                        IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  IOStatus s = target()->NewDirectory(name, opts, &dir, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<FaultDirectory>(std::move(dir), Normalise(name), this);
  return IOStatus::OK();
}

IOStatus FaultInjectionFs::RenameFile(const std::string& src, const std::string& target_name,
                                      const IOOptions& opts, IODebugContext* dbg) {
  std::string from = Normalise(src);
  std::string to = Normalise(target_name);
  if (IOStatus s = CheckPower(to); !s.ok()) return s;
  IOStatus s = target()->RenameFile(src, target_name, opts, dbg);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  FileState state;
  if (auto it = files_.find(from); it != files_.end()) {
    state = it->second;
    files_.erase(it);
  } else {
    uint64_t on_disk = 0;
    (void)target()->GetFileSize(to, opts, &on_disk, dbg);
    state = FileState{on_disk, on_disk, false, {}};
  }
  state.name_synced = false;  // the new name is durable once its directory is synced
  files_[to] = state;
  return IOStatus::OK();
}

IOStatus FaultInjectionFs::DeleteFile(const std::string& fname, const IOOptions& opts,
                                      IODebugContext* dbg) {
  std::string path = Normalise(fname);
  if (IOStatus s = CheckPower(path); !s.ok()) return s;
  IOStatus s = target()->DeleteFile(fname, opts, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(path);
  }
  return s;
}

}  // namespace lintas::testutil
