// Visma eAccounting v2 JSON shapes (CustomerApi, CustomerInvoiceApi, the
// Meta/Data envelope and the error body), after the official Swagger.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "sim/civil_time.hpp"

namespace ledgerd::sim::visma {

/// A full customer; ChangedUtc is set to `now`.
nlohmann::json new_customer(const std::string& id, const std::string& number,
                            sys_ms now);

/// A full invoice for `customer` without rows; CreatedUtc = ModifiedUtc.
nlohmann::json new_invoice(const std::string& id, int64_t number,
                           const nlohmann::json& customer, sys_ms now);

/// A customer invoice draft for `customer` without rows: an invoice
/// without InvoiceNumber, remaining amounts and voucher (*choice*: nothing
/// is numbered, owed or booked before the draft is converted).
nlohmann::json new_draft(const std::string& id, const nlohmann::json& customer,
                         sys_ms now);

/// The customer invoice `id`, number `number`, that converting `draft`
/// makes: the draft's fields, rows and totals, the whole total remaining,
/// created now.
nlohmann::json invoice_from_draft(const nlohmann::json& draft,
                                  const std::string& id, int64_t number,
                                  sys_ms now);

/// Replaces the rows with `rows` (request shape) and recomputes totals.
void set_rows(nlohmann::json& invoice, const nlohmann::json& rows,
              const std::function<std::string()>& make_guid);

/// AmountNoVat per row; TotalAmount (incl. VAT), TotalVatAmount and the
/// remaining amounts for the invoice (drafts have none).
void recompute_totals(nlohmann::json& invoice);

/// Rounding to whole units (the round_totals fault): TotalAmount and the
/// remaining amounts, the difference in TotalRoundings; VAT stays exact.
void round_total(nlohmann::json& invoice);

/// Writes the visible modified time: ModifiedUtc on invoices, ChangedUtc on
/// customers.
void set_modified(nlohmann::json& data, bool invoice, sys_ms t);

/// {"Meta":{...},"Data":[...]}
nlohmann::json envelope(nlohmann::json data, std::size_t page,
                        std::size_t page_size, std::size_t total_pages,
                        std::size_t total, sys_ms now);

/// {"ErrorCode","DeveloperErrorMessage","ErrorId","Errors"}
nlohmann::json error(int code, const std::string& message,
                     const std::string& error_id,
                     nlohmann::json errors = nullptr);

/// One entry of "Errors".
nlohmann::json field_error(const std::string& field, const std::string& code,
                           const std::string& message);

} // namespace ledgerd::sim::visma
