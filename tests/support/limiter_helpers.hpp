// Helpers shared by the limiter tests in tests/state/.
#pragma once

#include "state/rate_bucket.hpp"

#include <sstream>
#include <string>

namespace ledgerd::test {

/// A bucket with a fixed (non-adaptive) limit.
inline state::bucket_params fixed(size_t limit,
                                  state::limiter_clock::duration window,
                                  state::limiter_clock::duration margin = {}) {
  state::bucket_params result;
  result.limit = limit;
  result.window = window;
  result.margin = margin;
  return result;
}

/// What operator<< prints for `x`.
template<class T>
std::string str(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

} // namespace ledgerd::test
