#include "state/clock_offset.hpp"

namespace ledgerd::state {

using namespace std::chrono;

milliseconds clock_ahead(sys_seconds date,
                         system_clock::time_point received_at) {
  auto server = time_point_cast<milliseconds>(date) + 500ms;
  auto ahead = duration_cast<milliseconds>(server - received_at);
  if (ahead < clock_offset_floor && ahead > -clock_offset_floor)
    return milliseconds{0};
  return ahead;
}

system_clock::time_point on_our_clock(system_clock::time_point provider_time,
                                      milliseconds ahead) {
  return provider_time - ahead;
}

} // namespace ledgerd::state
