// Record segments: frames appended through RocksDB's FileSystem (so that the
// fault-injection file system of the tests sees every write and sync), read
// back with pread on descriptors of our own.
#include "record_segments.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/file_system.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "lintas/common/crc32c.h"
#include "rocksdb_util.h"

namespace lintas::store {

static_assert(std::endian::native == std::endian::little, "frames are little-endian");

namespace {

constexpr std::string_view kFrameMagic = "LSF1";
constexpr std::string_view kPointerMagic = "LSP1";
constexpr std::string_view kSuffix = ".seg";
// ReadAll reads runs of adjacent frames up to this many bytes at once.
constexpr size_t kMaxReadSpan = 4u << 20;
// Read descriptors kept open (each segment holds 256 MiB of records by
// default: 64 cover 16 GiB of the log's most recently opened parts).
constexpr size_t kMaxOpenFds = 64;
constexpr size_t kDirectAlign = 4096;
// What Sync leaves in the page cache behind the write head: at a few events
// a second, hours of them, so that the loop's memory-only reads of recent
// parents find them; at 100k/s a third of a second.
constexpr uint64_t kCachedTailBytes = 32u << 20;

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
T Get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

// Writes the frame of `body` at `out`; returns where the next one starts.
char* WriteFrame(char* out, uint64_t offset, std::string_view body) {
  auto put = [&out](auto v) {
    std::memcpy(out, &v, sizeof v);
    out += sizeof v;
  };
  char* header = out;
  std::memcpy(out, kFrameMagic.data(), kFrameMagic.size());
  out += kFrameMagic.size();
  put(static_cast<uint32_t>(body.size()));
  put(offset);
  put(Crc32c(body, Crc32c(std::string_view(header, 16))));
  put(uint32_t{0});
  std::memcpy(out, body.data(), body.size());
  return out + body.size();
}

size_t AlignUp(size_t bytes) { return (bytes + kDirectAlign - 1) / kDirectAlign * kDirectAlign; }

std::string Where(uint64_t offset, const SegmentPointer& p) {
  return fmt::format("record {} (segment {} at {})", offset, p.segment, p.position);
}

// Checks the frame at the start of `frame` against what its pointer says.
Status CheckFrame(std::string_view frame, uint64_t offset, const SegmentPointer& p) {
  if (frame.size() < kFrameHeaderBytes + p.length) {
    return Error{errc::corruption, Where(offset, p) + ": the segment ends inside its frame"};
  }
  if (frame.substr(0, 4) != kFrameMagic || Get<uint32_t>(frame, 4) != p.length ||
      Get<uint64_t>(frame, 8) != offset) {
    return Error{errc::corruption,
                 Where(offset, p) + ": the frame header does not match its pointer"};
  }
  uint32_t crc = Crc32c(frame.substr(kFrameHeaderBytes, p.length), Crc32c(frame.substr(0, 16)));
  if (crc != Get<uint32_t>(frame, 16)) {
    return Error{errc::corruption, Where(offset, p) + ": checksum mismatch"};
  }
  return OkStatus();
}

Error IoError(const rocksdb::IOStatus& s, std::string_view what) {
  return Error{errc::io_error, fmt::format("{}: {}", what, s.ToString())};
}

}  // namespace

// A buffer for direct reads and writes (aligned to 4 KiB, reused: its pages
// stay mapped, where a new buffer per read costs a page fault per 4 KiB).
class AlignedBuffer {
 public:
  // At least `bytes`; what it held is lost if it has to grow. nullptr if
  // the memory cannot be had.
  char* Get(size_t bytes) {
    if (bytes > capacity_) {
      void* p = nullptr;
      if (posix_memalign(&p, kDirectAlign, AlignUp(bytes)) != 0) return nullptr;
      data_.reset(static_cast<char*>(p));
      capacity_ = AlignUp(bytes);
    }
    return data_.get();
  }
  char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }
  void Release() {
    data_.reset();
    capacity_ = 0;
  }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> data_;
  size_t capacity_ = 0;
};

std::string SegmentPointer::Encode() const {
  std::string out;
  out.reserve(kEncodedBytes);
  out.append(kPointerMagic);
  Put<uint64_t>(&out, segment);
  Put<uint64_t>(&out, position);
  Put<uint32_t>(&out, length);
  out.append(reinterpret_cast<const char*>(event_id.bytes().data()), wire::EventId::kSize);
  return out;
}

std::optional<SegmentPointer> SegmentPointer::Decode(std::string_view value) {
  // A FlatBuffers record starts with its root table's offset, never "LSP1"
  // (0x3150534c bytes into a 40-byte buffer).
  if (value.size() != kEncodedBytes || value.substr(0, 4) != kPointerMagic) return std::nullopt;
  SegmentPointer p;
  p.segment = Get<uint64_t>(value, 4);
  p.position = Get<uint64_t>(value, 12);
  p.length = Get<uint32_t>(value, 20);
  p.event_id = wire::EventId::FromSpan(
      {reinterpret_cast<const uint8_t*>(value.data()) + 24, wire::EventId::kSize});
  return p;
}

struct RecordSegments::Fd {
  int fd = -1;
  int direct = -1;  // O_DIRECT, for runs of reads; -1 where the file system has none
  std::atomic<bool> direct_refused{false};  // a direct read said EINVAL: read buffered
  ~Fd() {
    if (fd >= 0) ::close(fd);
    if (direct >= 0) ::close(direct);
  }
};

Result<std::unique_ptr<RecordSegments>> RecordSegments::Open(
    std::string dir, std::shared_ptr<rocksdb::FileSystem> fs, uint64_t segment_bytes,
    bool direct_writes) {
  auto segments = std::unique_ptr<RecordSegments>(new RecordSegments());
  RecordSegments& g = *segments;
  g.dir_ = std::move(dir);
  g.fs_ = fs ? std::move(fs) : rocksdb::FileSystem::Default();
  g.segment_bytes_ = segment_bytes;
  g.want_direct_ = direct_writes;
  g.buffer_ = std::make_unique<AlignedBuffer>();
  rocksdb::IOOptions io;
  auto s = g.fs_->CreateDirIfMissing(g.dir_, io, nullptr);
  if (!s.ok()) return IoError(s, "create " + g.dir_);
  // The new directory's own name, in the database's directory.
  std::unique_ptr<rocksdb::FSDirectory> parent;
  std::string parent_path = g.dir_.substr(0, g.dir_.find_last_of('/'));
  s = g.fs_->NewDirectory(parent_path, io, &parent, nullptr);
  if (s.ok()) s = parent->Fsync(io, nullptr);
  if (!s.ok()) return IoError(s, "sync " + parent_path);
  s = g.fs_->NewDirectory(g.dir_, io, &g.dir_handle_, nullptr);
  if (!s.ok()) return IoError(s, "open " + g.dir_);
  std::vector<std::string> children;
  s = g.fs_->GetChildren(g.dir_, io, &children, nullptr);
  if (!s.ok()) return IoError(s, "list " + g.dir_);
  for (const std::string& name : children) {
    if (!name.ends_with(kSuffix)) continue;
    g.current_ = std::max<uint64_t>(g.current_, std::strtoull(name.c_str(), nullptr, 10));
  }
  return segments;
}

RecordSegments::~RecordSegments() { CloseCurrent(); }

void RecordSegments::CloseCurrent() {
  if (!file_) return;
  rocksdb::IOOptions io;
  // A direct segment's last block is padded with zeros: no frame is there,
  // but the file's size then says where its frames end.
  if (direct_) (void)file_->Truncate(written_, io, nullptr);
  (void)file_->Close(io, nullptr);  // its frames were synced, or are dead
  file_.reset();
}

std::string RecordSegments::PathOf(uint64_t segment) const {
  return fmt::format("{}/{:020}{}", dir_, segment, kSuffix);
}

Status RecordSegments::Roll(uint64_t at_least) {
  rocksdb::IOOptions io;
  CloseCurrent();
  laid_ = 0;  // frames laid out and never written are dead: no pointer to them is stored
  uint64_t next = std::max(current_, at_least) + 1;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::FileOptions options;
  options.use_direct_writes = want_direct_ && !direct_refused_;
  auto s = fs_->NewWritableFile(PathOf(next), options, &file, nullptr);
  // A device whose blocks are larger than ours would refuse our writes.
  if (s.ok() && file->use_direct_io() && kDirectAlign % file->GetRequiredBufferAlignment() != 0) {
    (void)file->Close(io, nullptr);
    s = rocksdb::IOStatus::InvalidArgument("direct writes need another alignment");
    direct_refused_ = true;
  }
  if (!s.ok() && options.use_direct_writes) {  // a file system without O_DIRECT (tmpfs)
    options.use_direct_writes = false;
    s = fs_->NewWritableFile(PathOf(next), options, &file, nullptr);
  }
  if (!s.ok()) return IoError(s, "create " + PathOf(next));
  direct_ = file->use_direct_io();
  // The new name must survive a power cut with the frames synced into it.
  s = dir_handle_->Fsync(io, nullptr);
  if (!s.ok()) return IoError(s, "sync " + dir_);
  file_ = std::move(file);
  current_ = next;
  size_ = 0;
  written_ = 0;
  synced_ = 0;
  dropped_ = 0;
  partial_.clear();
  return OkStatus();
}

Status RecordSegments::Append(std::span<const AppendEntry> entries,
                              std::vector<SegmentPointer>* out) {
  out->clear();
  if (entries.empty()) return OkStatus();
  if (!file_) return Error{errc::io_error, "record segments: no segment open after a failure"};
  // Frames laid out by an Append whose commit went no further are written
  // as dead space, as a buffered segment has them.
  if (auto s = Write(); !s.ok()) return s;
  size_t bytes = 0;
  for (const AppendEntry& e : entries) {
    if (e.record.size() > kMaxFrameBody) {
      return Error{errc::invalid_append, fmt::format("record {} is {} bytes, above {}", e.offset,
                                                     e.record.size(), kMaxFrameBody)};
    }
    bytes += kFrameHeaderBytes + e.record.size();
  }
  if (size_ > 0 && size_ + bytes > segment_bytes_) {
    if (auto s = Roll(); !s.ok()) return s;
  }
  // A direct write starts at the last partial block, written again.
  size_t head = direct_ ? partial_.size() : 0;
  char* frames = buffer_->Get(AlignUp(head + bytes));
  if (frames == nullptr) {
    return Error{errc::io_error, fmt::format("record segments: no memory for {} bytes of frames", bytes)};
  }
  std::memcpy(frames, partial_.data(), head);
  char* at = frames + head;
  out->reserve(entries.size());
  for (const AppendEntry& e : entries) {
    SegmentPointer p;
    p.segment = current_;
    p.position = size_ + static_cast<uint64_t>(at - frames - head);
    p.length = static_cast<uint32_t>(e.record.size());
    p.event_id = e.event_id;
    at = WriteFrame(at, e.offset, e.record);
    out->push_back(p);
  }
  size_ += bytes;
  if (direct_) {
    laid_ = head + bytes;
    return OkStatus();
  }
  auto s = file_->Append(rocksdb::Slice(frames, bytes), rocksdb::IOOptions(), nullptr);
  if (!s.ok()) {
    file_.reset();  // what reached it is unknown: Roll before the next Append
    return IoError(s, "append to " + PathOf(current_));
  }
  written_ = size_;
  if (buffer_->capacity() > (64u << 20)) buffer_->Release();  // one huge commit
  return OkStatus();
}

Status RecordSegments::Write() {
  if (laid_ == 0) return OkStatus();
  if (!file_) return Error{errc::io_error, "record segments: no segment open after a failure"};
  char* frames = buffer_->data();
  size_t padded = AlignUp(laid_);
  std::memset(frames + laid_, 0, padded - laid_);
  uint64_t at = written_ - partial_.size();  // a block boundary
  auto s = file_->PositionedAppend(rocksdb::Slice(frames, padded), at, rocksdb::IOOptions(), nullptr);
  if (!s.ok()) {
    file_.reset();  // what reached it is unknown: Roll before the next Append
    laid_ = 0;
    // Opened with O_DIRECT but the writes refused (EINVAL): the next
    // segment is written buffered, rather than every commit failing.
    if (s.ToString().find("Invalid argument") != std::string::npos) direct_refused_ = true;
    return IoError(s, "write to " + PathOf(current_));
  }
  written_ = size_;
  partial_.assign(frames + (laid_ / kDirectAlign) * kDirectAlign, laid_ % kDirectAlign);
  laid_ = 0;
  if (buffer_->capacity() > (64u << 20)) buffer_->Release();  // one huge commit
  return OkStatus();
}

Status RecordSegments::Sync() {
  if (!file_) return Error{errc::io_error, "record segments: no segment open after a failure"};
  if (auto s = Write(); !s.ok()) return s;
  auto s = file_->Sync(rocksdb::IOOptions(), nullptr);
  if (!s.ok()) {
    file_.reset();
    return IoError(s, "sync " + PathOf(current_));
  }
  synced_ = size_;
  // A direct segment leaves nothing in the page cache.
  if (!direct_ && synced_ > dropped_ + kCachedTailBytes) {  // clean pages now: advice only
    uint64_t until = synced_ - kCachedTailBytes;
    (void)file_->InvalidateCache(dropped_, until - dropped_);
    dropped_ = until;
  }
  return OkStatus();
}

Status RecordSegments::SyncSegment(uint64_t segment) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOOptions io;
  // Reopening would create it: a file the log names must be there.
  if (auto exists = fs_->FileExists(PathOf(segment), io, nullptr); exists.IsNotFound()) {
    return Error{errc::io_error, fmt::format("{} is missing, but the log names records in it: the "
                                             "data directory is incomplete",
                                             PathOf(segment))};
  }
  auto s = fs_->ReopenWritableFile(PathOf(segment), rocksdb::FileOptions(), &file, nullptr);
  if (s.ok()) s = file->Sync(io, nullptr);
  if (s.ok()) s = file->Close(io, nullptr);
  return s.ok() ? OkStatus() : Status(IoError(s, "sync " + PathOf(segment)));
}

Result<std::shared_ptr<RecordSegments::Fd>> RecordSegments::ReadFd(uint64_t segment) {
  {
    std::lock_guard lock(fds_mu_);
    if (auto it = fds_.find(segment); it != fds_.end()) return it->second;
  }
  auto fd = std::make_shared<Fd>();
  std::string path = PathOf(segment);
  fd->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd->fd < 0) {
    return Error{errno == ENOENT ? errc::corruption : errc::io_error,
                 fmt::format("open {}: {}", path, std::strerror(errno))};
  }
  fd->direct = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  std::lock_guard lock(fds_mu_);
  if (auto it = fds_.find(segment); it != fds_.end()) return it->second;  // opened meanwhile
  // Readers still using an evicted descriptor keep it open until they finish.
  if (fds_.size() >= kMaxOpenFds) fds_.erase(fds_.begin());
  fds_.emplace(segment, fd);
  return fd;
}

Status RecordSegments::ReadSpan(uint64_t segment, uint64_t position, size_t bytes, bool nowait,
                                std::string* out) {
  auto fd = ReadFd(segment);
  if (!fd.ok()) return std::move(fd).error();
  out->resize(bytes);
  size_t done = 0;
  while (done < bytes) {
    iovec iov{out->data() + done, bytes - done};
    ssize_t n =
        ::preadv2((*fd)->fd, &iov, 1, static_cast<off_t>(position + done), nowait ? RWF_NOWAIT : 0);
    if (n < 0 && errno == EINTR) continue;
    if (nowait && ((n < 0 && (errno == EAGAIN || errno == EOPNOTSUPP)) ||
                   (n >= 0 && static_cast<size_t>(n) < bytes - done))) {
      return Error{errc::would_block, "record segment not in the page cache"};
    }
    if (n < 0) {
      return Error{errc::io_error,
                   fmt::format("read {}: {}", PathOf(segment), std::strerror(errno))};
    }
    if (n == 0) break;  // the file ends: CheckFrame says where
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return OkStatus();
}

Status RecordSegments::ReadDirect(uint64_t segment, uint64_t position, size_t bytes,
                                  std::string* fallback, std::string_view* out) {
  auto fd = ReadFd(segment);
  if (!fd.ok()) return std::move(fd).error();
  uint64_t start = position / kDirectAlign * kDirectAlign;
  size_t skip = position - start;
  size_t length = AlignUp(skip + bytes);
  thread_local AlignedBuffer buffer;
  char* data = (*fd)->direct >= 0 && !(*fd)->direct_refused.load() ? buffer.Get(length) : nullptr;
  size_t done = 0;
  while (data != nullptr && done < length) {
    ssize_t n =
        ::pread((*fd)->direct, data + done, length - done, static_cast<off_t>(start + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL) {  // opened, but the device wants another alignment
      (*fd)->direct_refused.store(true);
      data = nullptr;
      break;
    }
    if (n < 0) {
      return Error{errc::io_error,
                   fmt::format("read {}: {}", PathOf(segment), std::strerror(errno))};
    }
    if (n == 0) break;  // the file ends: CheckFrame says where
    done += static_cast<size_t>(n);
    if (done % kDirectAlign != 0) break;  // a direct read ends short only at the file's end
  }
  if (data == nullptr) {
    if (auto s = ReadSpan(segment, position, bytes, false, fallback); !s.ok()) return s;
    *out = *fallback;
    return OkStatus();
  }
  *out = done > skip ? std::string_view(data + skip, std::min(bytes, done - skip))
                     : std::string_view();
  return OkStatus();
}

Result<std::string> RecordSegments::Read(uint64_t offset, const SegmentPointer& pointer,
                                         bool memory_only) {
  if (pointer.length > kMaxFrameBody) {
    return Error{errc::corruption,
                 Where(offset, pointer) + ": its pointer names an impossible length"};
  }
  size_t bytes = kFrameHeaderBytes + pointer.length;
  if (want_direct_) {
    // Segments written with O_DIRECT are read with it too: a buffered read
    // could leave a page of the last partial block in the page cache, and a
    // direct write that fails to invalidate it (a read holding it at that
    // moment) would leave later buffered reads of that block stale. Nothing
    // of them is in the page cache for a memory-only read anyway.
    auto fd = ReadFd(pointer.segment);
    if (!fd.ok()) return std::move(fd).error();
    if ((*fd)->direct >= 0 && !(*fd)->direct_refused.load()) {
      if (memory_only) return Error{errc::would_block, "record segment not in the page cache"};
      std::string fallback;
      std::string_view frame;
      if (auto s = ReadDirect(pointer.segment, pointer.position, bytes, &fallback, &frame); !s.ok()) {
        return std::move(s).error();
      }
      if (auto s = CheckFrame(frame, offset, pointer); !s.ok()) return std::move(s).error();
      return std::string(frame.substr(kFrameHeaderBytes, pointer.length));
    }
  }
  std::string frame;
  if (auto s = ReadSpan(pointer.segment, pointer.position, bytes, memory_only, &frame); !s.ok()) {
    return std::move(s).error();
  }
  if (auto s = CheckFrame(frame, offset, pointer); !s.ok()) return std::move(s).error();
  return frame.substr(kFrameHeaderBytes);
}

Status RecordSegments::ReadAll(std::span<const SegmentRead> reads, std::vector<std::string>* out) {
  out->clear();
  out->reserve(reads.size());
  std::string fallback;
  for (size_t first = 0; first < reads.size();) {
    const SegmentPointer& head = reads[first].pointer;
    if (head.length > kMaxFrameBody) {
      return Error{errc::corruption,
                   Where(reads[first].offset, head) + ": its pointer names an impossible length"};
    }
    // A run: the same segment, each frame right after the last.
    size_t last = first;
    size_t bytes = head.end() - head.position;
    while (last + 1 < reads.size()) {
      const SegmentPointer& next = reads[last + 1].pointer;
      if (next.segment != head.segment || next.position != reads[last].pointer.end() ||
          next.length > kMaxFrameBody || bytes + kFrameHeaderBytes + next.length > kMaxReadSpan) {
        break;
      }
      ++last;
      bytes += kFrameHeaderBytes + next.length;
    }
    std::string_view view;  // valid until the next ReadDirect of this thread
    if (auto s = ReadDirect(head.segment, head.position, bytes, &fallback, &view); !s.ok())
      return s;
    for (size_t i = first; i <= last; ++i) {
      size_t at = reads[i].pointer.position - head.position;
      std::string_view frame = at <= view.size() ? view.substr(at) : std::string_view();
      if (auto s = CheckFrame(frame, reads[i].offset, reads[i].pointer); !s.ok()) return s;
      out->emplace_back(frame.substr(kFrameHeaderBytes, reads[i].pointer.length));
    }
    first = last + 1;
  }
  return OkStatus();
}

}  // namespace lintas::store
