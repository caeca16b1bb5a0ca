// CRC-32C (Castagnoli), the checksum of the broker's record segment frames.
// Uses the CPU's crc32 instruction (SSE 4.2) when it has one, else a table;
// both give the same values (RFC 3720's polynomial, as RocksDB and iSCSI).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lintas {

// The CRC-32C of `data`, continuing `crc` (0 to start): Crc32c(b, Crc32c(a))
// is the CRC of a followed by b. Thread safety: none needed (pure).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace lintas
