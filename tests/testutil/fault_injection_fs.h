// A RocksDB file system for tests that remembers what was synced, so that a
// test can cut the power (drop every byte and file name not yet synced) or
// make an append or a sync fail. Modelled on RocksDB's FaultInjectionTestFS
// (utilities/fault_injection_fs.h), much smaller. Tests only: never linked
// into a production target.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/file_system.h>

namespace lintas::testutil {

// Which writable-file call an injected error hits.
enum class FaultOp {
  kAppend,  // Append / PositionedAppend: nothing is written
  kSync,    // Sync / Fsync: the data stays written but not durable
};

// What a power cut threw away.
struct PowerCutReport {
  uint64_t bytes_dropped = 0;  // appended but never synced
  size_t files_deleted = 0;    // created, but their directory never synced since
  std::vector<std::string> errors;  // files it failed to truncate or delete
};

// Operation: wrap the operating system's file system, give it to RocksDB
// (RocksDbOptions::file_system), then:
//   * InjectError(op, suffix, n): the next n calls of `op` on a file whose
//     name ends with `suffix` return an IOError.
//   * CutPower(): the machine is off. From now on appends and syncs succeed
//     and reach nothing (the process is as good as dead: failing them would
//     only run error paths that a dead process never runs); creating,
//     renaming and deleting files fail and change nothing. Destroy the DB
//     (its close writes nothing), then
//   * RestorePower(): truncates every file written through this object to
//     its last synced size, deletes the files created since their directory
//     was last synced, and lets I/O through again.
//
// Model (as RocksDB's): a file's data is durable up to its last Sync/Fsync;
// a new (or renamed) file's name is durable once its directory is fsynced
// through a directory object from NewDirectory. Files that existed before
// this object saw them are durable. RangeSync (sync_file_range) does not
// count as a sync. Bytes written over durable ones (a PositionedAppend
// below the synced size, as a direct write of a partial block does) are
// durable only after the next sync: a power cut puts the old ones back.
// Deleted files are not brought back.
//
// Ownership: shared (std::shared_ptr) by the test and RocksDB; the files it
// hands out point back to it, so it must outlive every DB that uses it.
// Thread safety: safe for concurrent use (RocksDB calls it from its write and
// background threads); mu_ guards the state.
class FaultInjectionFs final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultInjectionFs(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default());

  static const char* kClassName() { return "LintasFaultInjectionFs"; }
  const char* Name() const override { return kClassName(); }

  void InjectError(FaultOp op, std::string_view name_suffix, int count = 1);
  // How many injected errors have fired so far.
  int errors_injected() const;
  void CutPower();
  PowerCutReport RestorePower();

  // --- rocksdb::FileSystem ---
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  // Only used for WAL recycling (recycle_log_file_num > 0), which this model
  // does not support.
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& opts,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& opts,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& opts,
                               rocksdb::IODebugContext* dbg) override;

  // --- called by the files and directories it hands out ---
  // OK, or the error to return instead of doing `op` on a file's data
  // (injected, or the power is off).
  rocksdb::IOStatus Check(FaultOp op, const std::string& path);
  // OK, or the error to return instead of changing a name or a directory
  // (the power is off; injections do not apply).
  rocksdb::IOStatus CheckPower(const std::string& path);
  bool powered() const;
  void Appended(const std::string& path, uint64_t new_size);
  // Before `length` bytes are written at `at`: keeps the durable bytes they
  // replace.
  void Overwriting(const std::string& path, uint64_t at, uint64_t length);
  void Synced(const std::string& path);
  void DirectorySynced(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;          // bytes written through us
    uint64_t synced_size = 0;   // of which durable
    bool name_synced = false;   // its directory entry is durable
    // Durable bytes written over since the last sync (position, old bytes),
    // oldest first.
    std::vector<std::pair<uint64_t, std::string>> overwritten;
  };
  struct Injection {
    FaultOp op = FaultOp::kAppend;
    std::string suffix;
    int remaining = 0;
  };

  rocksdb::IOStatus TrackNewFile(const std::string& fname, bool existed,
                                 std::unique_ptr<rocksdb::FSWritableFile>* result);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // by normalised path. Guarded by mu_.
  Injection injection_;                      // Guarded by mu_.
  int errors_injected_ = 0;                  // Guarded by mu_.
  bool powered_ = true;                      // Guarded by mu_.
};

}  // namespace lintas::testutil
