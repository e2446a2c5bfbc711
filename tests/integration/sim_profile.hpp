// The simulator profile the integration tests run under: LEDGERD_SIM_PROFILE
// (`default` when unset; ctest's label `adversarial` runs every integration
// test again with `adversarial`, each unknown provider behaviour at its
// least convenient plausible value, sim/quirks.hpp).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "sim/quirks.hpp"

namespace ledgerd::test {

inline sim::quirk_set sim_profile() {
  const char* name = std::getenv("LEDGERD_SIM_PROFILE");
  auto q = sim::quirk_set::profile(name != nullptr ? name : "default");
  if (!q)
    throw std::invalid_argument(std::string{"LEDGERD_SIM_PROFILE: unknown "
                                            "profile "}
                                + name);
  return *q;
}

} // namespace ledgerd::test
