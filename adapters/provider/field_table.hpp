// A provider API version's field mapping as data: each entry pairs a member
// of the canonical record with the provider's JSON key, says how the value
// reads and writes and whether a record without it is unreadable. The
// mapping code walks the table, so a new API version is a new table (and
// its tests), not new code.
#pragma once

#include "adapters/provider/write_json.hpp"
#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace ledgerd::provider {

/// How a provider value reads (writes send the canonical value as it is).
enum class field_kind : uint8_t {
  /// A string (a number as its text); "" or blanks read as absent.
  text,
  /// A string as sent, "" included (a name may be blank).
  verbatim,
  /// Text in ASCII upper case (currency and country codes).
  code,
  /// A date-time ("2024-01-15T00:00:00"): its first 10 characters.
  date,
  /// true/false, "true"/"false", 1/0.
  flag,
  /// An amount at the minor-unit digits of the record's currency. Amounts
  /// are the provider's to compute: money fields are never written.
  money,
};

/// The canonical member a field maps to; its type decides what a missing
/// value does (std::optional: absent; others: keep the canonical default).
template<class T>
using member = std::variant<state::opt_string T::*, std::string T::*, bool T::*,
                            int64_t T::*>;

/// One mapped field.
template<class T>
struct field {
  /// The provider's JSON key (named in the error when required and missing).
  std::string_view key;
  /// The canonical member.
  member<T> to;
  field_kind kind;
  /// A record without it is unreadable ("<key> missing or not readable")
  /// instead of keeping the canonical default.
  bool required;
  /// Sent in create and update bodies; false for what the provider owns.
  bool writable;
  /// Text and money: the key read when `key` gives no value, never written
  /// (Visma's plain amount behind the one in the invoice's currency, the
  /// Phone of Fortnox list items behind a detail's Phone1); "" = none.
  std::string_view fallback;
};

/// Which fields a read takes: money needs the currency read first.
enum class field_pass : uint8_t { plain, money };

/// Reads the fields of `table` of `pass` from `x` into `out`, in table
/// order; false, with `error` naming the first required key that is
/// missing. `digits`: the currency's minor-unit digits (money pass).
template<class T>
bool read_fields(const nlohmann::json& x, std::span<const field<T>> table,
                 field_pass pass, int digits, T& out, std::string& error);

/// Whether `x` carries every key of `table` (the key or its fallback; null
/// counts as carried). A list item that does not is a summary of the
/// record: it is fetched in full, never read as its fields cleared.
template<class T>
bool carries_all(const nlohmann::json& x, std::span<const field<T>> table);

/// Writes the writable fields of `table` from `x` through `set` (strings by
/// its create/update rule; required strings and flags always).
template<class T>
void write_fields(const T& x, std::span<const field<T>> table,
                  const field_writer& set);

/// The key `table` maps `m` to, "" when it maps none.
template<class T, class M>
std::string_view key_of(std::span<const field<T>> table, M T::*m) {
  for (const auto& f : table)
    if (auto* x = std::get_if<M T::*>(&f.to); x != nullptr && *x == m)
      return f.key;
  return {};
}

} // namespace ledgerd::provider
