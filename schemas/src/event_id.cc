// UUIDv7 event ids.
#include "lintas/wire/event_id.h"

#include <chrono>
#include <cstring>

#include <sodium.h>
#include <sys/mman.h>

#include "lintas/wire/errc.h"

namespace lintas::wire {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Random bytes for ids, drawn from libsodium a page at a time: one getrandom
// call per 16 ids (libsodium asks for 256 bytes at a time) instead of one per
// id, a publisher's visible cost. The
// page is wiped in a forked child (MADV_WIPEONFORK), so that a child never
// hands out the bytes its parent will; where that is not available, every
// id draws from libsodium as before. One per thread: no lock.
class RandomPool {
 public:
  RandomPool() {
    void* page = mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;
    if (madvise(page, kPageBytes, MADV_WIPEONFORK) != 0) {
      munmap(page, kPageBytes);
      return;
    }
    page_ = static_cast<Page*>(page);  // zeroed: nothing left, filled on first use
  }
  ~RandomPool() {
    if (page_) munmap(page_, kPageBytes);
    page_ = nullptr;  // an id made later in this thread's exit draws from libsodium
  }
  RandomPool(const RandomPool&) = delete;
  RandomPool& operator=(const RandomPool&) = delete;

  void Fill(uint8_t* out, size_t n) {
    if (!page_ || n > sizeof(page_->bytes)) {
      randombytes_buf(out, n);
      return;
    }
    if (page_->left < n) {
      randombytes_buf(page_->bytes, sizeof(page_->bytes));
      page_->left = sizeof(page_->bytes);
    }
    uint8_t* from = page_->bytes + sizeof(page_->bytes) - page_->left;
    std::memcpy(out, from, n);
    sodium_memzero(from, n);  // handed out once
    page_->left -= n;
  }

 private:
  static constexpr size_t kPageBytes = 4096;
  struct Page {
    size_t left;  // unused bytes at the end of `bytes`; 0 after a fork's wipe
    uint8_t bytes[kPageBytes - sizeof(size_t)];
  };
  Page* page_ = nullptr;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

EventId EventId::FromSpan(std::span<const uint8_t> bytes) {
  std::array<uint8_t, kSize> out{};
  std::memcpy(out.data(), bytes.data(), kSize);
  return EventId(out);
}

EventId EventId::FromFb(const fb::Uuid& uuid) {
  return FromSpan(std::span<const uint8_t>(uuid.bytes()->data(), kSize));
}

Result<EventId> EventId::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return Error{errc::event_invalid, "event id must have the form 8-4-4-4-12 hex digits"};
  }
  std::array<uint8_t, kSize> out{};
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '-') continue;
    int hi = HexValue(text[i]);
    int lo = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      return Error{errc::event_invalid, "event id has a character that is not a hex digit"};
    }
    out[n++] = static_cast<uint8_t>(hi * 16 + lo);
    ++i;
  }
  return EventId(out);
}

fb::Uuid EventId::ToFb() const {
  return fb::Uuid(flatbuffers::span<const uint8_t, kSize>(bytes_.data(), kSize));
}

std::string EventId::ToString() const {
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < kSize; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0xf]);
  }
  return out;
}

bool EventId::IsNil() const { return *this == EventId(); }

bool EventId::IsV7() const { return (bytes_[6] >> 4) == 7 && (bytes_[8] >> 6) == 2; }

int64_t EventId::UnixMillis() const {
  int64_t ms = 0;
  for (size_t i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return ms;
}

EventIdGenerator::EventIdGenerator() {
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium failed to initialise");
  }
}

EventId EventIdGenerator::Next() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  return NextAt(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

EventId EventIdGenerator::NextAt(int64_t unix_millis) {
  std::array<uint8_t, EventId::kSize> b{};
  thread_local RandomPool pool;
  pool.Fill(b.data(), b.size());
  int64_t ms = 0;
  uint16_t counter = 0;
  {
    std::lock_guard lock(mu_);
    if (unix_millis > last_ms_) {
      last_ms_ = unix_millis;
      // A random start with the top bit clear leaves at least 2048 ids of room.
      counter_ = static_cast<uint16_t>((b[6] << 8 | b[7]) & 0x07ff);
    } else if (++counter_ > 0x0fff) {
      ++last_ms_;  // borrow the next millisecond rather than repeat or go back
      counter_ = 0;
    }
    ms = last_ms_;
    counter = counter_;
  }
  for (int i = 5; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(ms & 0xff);
    ms >>= 8;
  }
  b[6] = static_cast<uint8_t>(0x70 | (counter >> 8));
  b[7] = static_cast<uint8_t>(counter & 0xff);
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));
  return EventId(b);
}

}  // namespace lintas::wire
