// The canonical customer and invoice: the provider-neutral shape that every
// adapter maps to and from, that the local tables (ledger.customers,
// ledger.invoices, ledger.invoice_rows) hold, and that links.base snapshots.
//
// Money is integer minor units (öre, cents), quantities and percentages are
// fixed-point integers: never double. Absent values are std::nullopt and
// render as JSON null. `to_json` is canonical: the same record always gives
// the same text (sorted keys, normalized numbers), so snapshots compare and
// hash byte for byte.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgerd::state {

using opt_string = std::optional<std::string>;

struct customer {
  /// The provider's key: Fortnox CustomerNumber, Visma Id (GUID).
  opt_string remote_id;
  /// Human customer number (Fortnox: same as remote_id; Visma: its own).
  opt_string customer_number;
  std::string name;
  opt_string org_number;
  opt_string vat_number;
  opt_string email;
  opt_string phone;
  opt_string address1;
  opt_string address2;
  opt_string postal_code;
  opt_string city;
  /// ISO 3166-1 alpha-2, upper case.
  opt_string country_code;
  /// ISO 4217, upper case.
  std::string currency = "SEK";
  bool active = true;
  /// The local id (ledger.customers.id), carried in the provider's external
  /// reference field so that a create with an unknown outcome can be found.
  opt_string external_ref;

  friend bool operator==(const customer&, const customer&) = default;
};

struct invoice_row {
  /// 1-based position.
  int32_t line_no = 1;
  opt_string article;
  opt_string description;
  /// Quantity in ten-thousandths (numeric(18,4)): 1.5 = 15000.
  int64_t quantity_e4 = 10000;
  opt_string unit;
  /// Unit price excluding VAT in minor units.
  int64_t unit_price = 0;
  /// VAT percent in hundredths (numeric(5,2)): 25% = 2500.
  int32_t vat_percent_e2 = 2500;

  friend bool operator==(const invoice_row&, const invoice_row&) = default;
};

/// Values of `invoice::status`.
inline constexpr std::string_view invoice_statuses[]
  = {"draft", "sent", "booked", "paid", "cancelled", "credited"};

struct invoice {
  /// The provider's key: Fortnox DocumentNumber, Visma Id (GUID).
  opt_string remote_id;
  opt_string invoice_number;
  /// The customer's provider key (see customer::remote_id).
  std::string customer_remote_id;
  /// "YYYY-MM-DD".
  std::string invoice_date;
  opt_string due_date;
  std::string currency = "SEK";
  /// Total including VAT, minor units.
  int64_t total = 0;
  /// VAT amount, minor units.
  int64_t vat = 0;
  /// One of `invoice_statuses`.
  std::string status = "draft";
  opt_string your_reference;
  opt_string our_reference;
  /// The local id (ledger.invoices.id), see customer::external_ref.
  opt_string external_ref;
  std::vector<invoice_row> rows;

  friend bool operator==(const invoice&, const invoice&) = default;
};

/// Canonical JSON (keys as the field names above, except that the row's
/// quantity_e4 / vat_percent_e2 are keyed "quantity" / "vat_percent", as the
/// ledger.invoice_rows columns, and rendered as normalized decimal strings:
/// "1.5", "25"; money as integers).
nlohmann::json to_json(const customer& x);
nlohmann::json to_json(const invoice_row& x);
nlohmann::json to_json(const invoice& x);

/// Parses canonical JSON; returns std::nullopt and sets `error` (naming the
/// field) when a required field is missing or has the wrong type.
std::optional<customer> customer_from_json(const nlohmann::json& j,
                                           std::string& error);
std::optional<invoice> invoice_from_json(const nlohmann::json& j,
                                         std::string& error);

/// Exact decimal parsing for provider values: "1250.5", "1 250,50", 1250.5
/// (a JSON number: its shortest decimal text), "-3". Returns the value in
/// units of 10^-scale, rounded half away from zero, or std::nullopt for
/// anything that is not a number.
std::optional<int64_t> parse_decimal(std::string_view text, int scale);
std::optional<int64_t> decimal_from_json(const nlohmann::json& j, int scale);

/// Renders `value` (units of 10^-scale) as a normalized decimal string:
/// no trailing zeros, no trailing dot ("1.5", "25", "-0.01").
std::string format_decimal(int64_t value, int scale);

} // namespace ledgerd::state
