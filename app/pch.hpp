// Precompiled header for the heavy third-party headers (CAF costs ~3.5 s per
// translation unit). Project headers never rely on it: each includes what it
// uses.
#pragma once

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility> // before Boost.Asio: its awaitable.hpp needs std::exchange
#include <vector>
