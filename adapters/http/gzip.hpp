// gzip (RFC 1952) framing over zlib for HTTP bodies: the client compresses
// large request bodies and inflates `Content-Encoding: gzip` responses.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::http {

/// Compresses `x` into one gzip member (default level).
std::string gzip_compress(std::string_view x);

/// Inflates gzip data (concatenated members are accepted). Returns
/// std::nullopt for corrupt or truncated input and when the output would
/// exceed `max_bytes` (a bound against decompression bombs).
std::optional<std::string> gzip_inflate(std::string_view x,
                                        std::size_t max_bytes);

} // namespace ledgerd::http
