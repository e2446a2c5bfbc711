#include "messages/errc.hpp"

namespace ledgerd {

std::string to_string(errc x) {
  switch (x) {
  case errc::restart_intensity_exceeded:
    return "restart_intensity_exceeded";
  case errc::shutdown_timeout:
    return "shutdown_timeout";
  case errc::database_unavailable:
    return "database_unavailable";
  case errc::invalid_config:
    return "invalid_config";
  case errc::no_such_child:
    return "no_such_child";
  case errc::rate_limit_timeout:
    return "rate_limit_timeout";
  case errc::invalid_grant_request:
    return "invalid_grant_request";
  }
  return "errc(" + std::to_string(static_cast<int>(x)) + ")";
}

} // namespace ledgerd
