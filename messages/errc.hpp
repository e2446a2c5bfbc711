// The one documented error enum of ledgerd, registered as CAF error
// category "ledgerd".
#pragma once

#include <caf/error.hpp>

#include <cstdint>
#include <string>

namespace ledgerd {

enum class errc : uint8_t {
  /// A supervisor restarted its children more often than its intensity
  /// allows; the node stops rather than crash-looping.
  restart_intensity_exceeded = 1,
  /// Work did not finish before the shutdown grace deadline.
  shutdown_timeout,
  /// PostgreSQL could not be reached or failed a query.
  database_unavailable,
  /// The configuration is invalid.
  invalid_config,
  /// A supervisor has no running child of that name.
  no_such_child,
  /// A grant request was not granted within its max_wait.
  rate_limit_timeout,
  /// A grant request named no bucket or an invalid one.
  invalid_grant_request,
};

/// Returns the enumerator's name, e.g. "restart_intensity_exceeded".
std::string to_string(errc x);

} // namespace ledgerd

CAF_ERROR_CODE_ENUM(ledgerd::errc, "ledgerd")
