#include "adapters/http/gzip.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>
#include <zlib.h>

namespace ledgerd::http {

namespace {

/// windowBits for zlib's gzip framing (RFC 1952) instead of raw zlib.
constexpr int gzip_window_bits = 16 + MAX_WBITS;

/// zlib counts in uInt; feed larger inputs in slices of this size.
constexpr std::size_t max_slice = UINT_MAX / 2;

Bytef* bytes(std::string_view x) {
  // zlib's API is not const-correct; it never writes through next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(x.data()));
}

/// Moves the next slice of `rest` into the stream's input.
void feed(z_stream& zs, std::string_view& rest) {
  auto n = std::min(rest.size(), max_slice);
  zs.next_in = bytes(rest);
  zs.avail_in = static_cast<uInt>(n);
  rest.remove_prefix(n);
}

} // namespace

std::string gzip_compress(std::string_view x) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip_window_bits, 8,
                   Z_DEFAULT_STRATEGY)
      != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out;
  std::array<char, 16 * 1024> chunk;
  auto rest = x;
  int rc = Z_OK;
  do {
    if (zs.avail_in == 0)
      feed(zs, rest);
    auto flush = rest.empty() ? Z_FINISH : Z_NO_FLUSH;
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = deflate(&zs, flush);
    out.append(chunk.data(), chunk.size() - zs.avail_out);
  } while (rc == Z_OK || rc == Z_BUF_ERROR);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("gzip: deflate failed");
  return out;
}

std::optional<std::string> gzip_inflate(std::string_view x,
                                        std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, gzip_window_bits) != Z_OK)
    return std::nullopt;
  std::string out;
  std::array<char, 16 * 1024> chunk;
  auto rest = x;
  bool ok = false;
  for (;;) {
    if (zs.avail_in == 0)
      feed(zs, rest);
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    auto rc = inflate(&zs, Z_NO_FLUSH);
    auto produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_bytes)
      break;
    out.append(chunk.data(), produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && rest.empty()) {
        ok = true;
        break;
      }
      // Another member follows (gzip allows concatenation).
      if (inflateReset(&zs) != Z_OK)
        break;
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && !rest.empty())
      continue; // needs the next slice
    // Corrupt, or truncated (no input left inside the stream).
    if (rc != Z_OK)
      break;
  }
  inflateEnd(&zs);
  if (!ok)
    return std::nullopt;
  return out;
}

} // namespace ledgerd::http
