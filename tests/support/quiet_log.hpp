// Silences ledgerd's log for the lifetime of the object, so that expected
// warnings (server shutdowns, crashing test actors) keep test output
// readable.
#pragma once

#include "adapters/log.hpp"

namespace ledgerd::test {

struct quiet_log {
  quiet_log() {
    log::set_sink([](const std::string&) {});
  }
  ~quiet_log() {
    log::set_sink({});
  }
  quiet_log(const quiet_log&) = delete;
  quiet_log& operator=(const quiet_log&) = delete;
};

} // namespace ledgerd::test
