// Standard base64 (RFC 4648 §4, with padding), as HTTP Basic auth and
// Standard Webhooks signatures and secrets use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerd::state {

std::string base64_encode(std::string_view bytes);

/// nullopt for anything that is not padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace ledgerd::state
