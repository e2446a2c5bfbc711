// Fortnox v3 JSON shapes, copied from the recorded payloads including their
// quirks (numbers as strings in lists, "Credit":"false", key casing).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "sim/civil_time.hpp"

namespace ledgerd::sim::fortnox {

/// A full customer as a fresh create returns it.
nlohmann::json new_customer(const std::string& number);

/// The list item of a customer (list has Phone, detail Phone1/Phone2).
nlohmann::json customer_list_item(const nlohmann::json& full);

/// A full invoice for `customer` without rows.
nlohmann::json new_invoice(const std::string& number,
                           const nlohmann::json& customer, sys_ms now);

/// Replaces the rows with `rows` (request shape), filling defaults and
/// RowIds, then recomputes the totals.
void set_rows(nlohmann::json& invoice, const nlohmann::json& rows,
              uint64_t& next_row_id);

/// Row and invoice totals from Price, DeliveredQuantity, Discount and VAT.
void recompute_totals(nlohmann::json& invoice);

/// Öresavrundning (the round_totals fault): Total, TotalToPay and Balance
/// to whole kronor, the difference in RoundOff; TotalVAT stays exact.
void round_off_total(nlohmann::json& invoice);

/// The credit invoice `number` of `original`: a copy whose rows have their
/// quantities negated (new RowIds, negative totals and VAT), "Credit":"true",
/// InvoiceReference = the original's number, neither booked, cancelled,
/// sent nor credited. ExternalInvoiceReference1 is copied only when
/// `copy_reference`; a rounded original gives a rounded credit.
nlohmann::json credit_invoice(const nlohmann::json& original,
                              const std::string& number, bool copy_reference,
                              uint64_t& next_row_id);

/// The list item of an invoice: no rows, CurrencyRate as a string.
nlohmann::json invoice_list_item(const nlohmann::json& full);

/// Adds "@url" (and "@urlTaxReductionList" for invoices) for `base`, e.g.
/// "http://127.0.0.1:8080/fortnox/3".
nlohmann::json with_urls(nlohmann::json j, const std::string& base,
                         const std::string& kind, const std::string& id);

/// {"ErrorInformation":{...}}: lower-case keys (400s) or Capitalized (404s).
nlohmann::json error(int code, const std::string& message, bool capitalized);

} // namespace ledgerd::sim::fortnox
