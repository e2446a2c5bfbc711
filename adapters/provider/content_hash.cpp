#include "adapters/provider/content_hash.hpp"

#include <cstdint>

namespace ledgerd::provider {

std::string fnv1a_hex(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4)
    out[static_cast<std::size_t>(i)] = hex[h & 0xF];
  return out;
}

std::string content_version(const nlohmann::json& canonical) {
  return fnv1a_hex(canonical.dump());
}

} // namespace ledgerd::provider
