#include "adapters/pg/error.hpp"

#include <utility>

namespace ledgerd::pg {

namespace {

std::string describe(error::kind what_failed, const std::string& label,
                     const std::string& message, const std::string& sqlstate) {
  std::string out = what_failed == error::kind::query
                      ? "query '" + label + "' failed: "
                      : label + " failed: ";
  if (!sqlstate.empty())
    out += "[" + sqlstate + "] ";
  out += message;
  return out;
}

} // namespace

error::error(kind what_failed, std::string label, std::string message,
             std::string sqlstate, bool connection_lost)
  : std::runtime_error(describe(what_failed, label, message, sqlstate))
  , label_(std::move(label))
  , message_(std::move(message))
  , sqlstate_(std::move(sqlstate))
  , connection_lost_(connection_lost || is_connection_sqlstate(sqlstate_)) {}

bool error::is_connection_sqlstate(std::string_view sqlstate) noexcept {
  return sqlstate.starts_with("08") || sqlstate == "57P01"
         || sqlstate == "57P02" || sqlstate == "57P03";
}

} // namespace ledgerd::pg
