// Parsers for the back-off hints a provider gives with a 429: the HTTP
// Retry-After header (delay-seconds form) and a "try again in N seconds"
// phrase in the error message (Visma: "API calls quota exceeded! maximum
// admitted 600 per Minute. Try again in 55 seconds."). Pure and lenient: any
// input is accepted, and what does not parse is std::nullopt, never an
// exception.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ledgerd::state {

/// Parses a Retry-After value in delay-seconds form: "7", " 7 ", or the whole
/// header line "Retry-After: 7" (name case-insensitive). Returns std::nullopt
/// for anything else: an HTTP-date (it needs the wall clock; convert it at
/// the edge), a sign, a fraction, junk, or a value beyond 2^32 seconds.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

/// Finds "try again in N <unit>" (or "retry in" / "retry after") in a
/// provider message, case-insensitively, and returns the delay rounded up to
/// whole milliseconds. N may have a fraction ("2.5"). Units: ms /
/// millisecond(s); s / sec(s) / second(s); m / min(s) / minute(s); none means
/// seconds. Returns std::nullopt when no such phrase is followed by a number,
/// for an unknown unit, or for delays beyond 2^32 seconds.
std::optional<std::chrono::milliseconds>
parse_try_again_in(std::string_view message);

/// The provider's hint after a 429: the Retry-After header value if it
/// parses, else a "try again in" phrase in the body, else std::nullopt (then
/// pause for one window).
std::optional<std::chrono::milliseconds>
parse_retry_hint(std::string_view retry_after_header, std::string_view body);

} // namespace ledgerd::state
