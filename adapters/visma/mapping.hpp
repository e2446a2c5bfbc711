// Canonical <-> Visma eAccounting JSON (CustomerApi, CustomerInvoiceApi;
// field names from Visma's Swagger, tests/fixtures/providers/visma/). The
// fields of each API version are one table (versions.hpp) that these
// functions walk; what follows describes v2. "v3" is NOT a Visma release:
// it is our simulator's stand-in for a future version (renamed Email and
// BuyerReference, an added ExternalReference; see versions.hpp).
//
// Reading: Id is the key (GUID); Id, Name (customers) and Id, CustomerId,
// InvoiceDate, a total and Rows (invoices) are required, so a renamed field
// is an error naming it. Dates arrive as date-times ("2024-01-15T00:00:00"):
// the first 10 characters are the date. Empty strings read as absent.
// - Totals: TotalAmountInvoiceCurrency / TotalVatAmountInvoiceCurrency (the
//   invoice's currency, as canonical money is), else TotalAmount /
//   TotalVatAmount.
// - PercentVat: the Swagger does not say whether 25 % is 0.25 or 25 [U];
//   values up to 1 are read as fractions, larger ones as percents (Swedish
//   rates are 0, 6, 12, 25, so the two cannot be confused).
// - line_no is the row's position (LineNumber's base is not documented; it
//   stays in raw).
// - Status: IsCreditInvoice -> "credited"; RemainingAmount 0 on a non-zero
//   total -> "paid"; else "booked" (eAccounting books customer invoices on
//   creation; drafts are a separate resource). Voided invoices: no flag in
//   the schema [U], so they are not detected here.
//
// External reference (the local id): Visma has no field for it.
// - Customers: Note (free text, 4000 characters, not printed on invoices).
//   WebshopCustomerNumber is an int32 and cannot hold a UUID; CustomerNumber
//   is at most 16-20 characters. Cost: a note a person keeps there is
//   overwritten with the local id when ledgerd writes the customer.
// - Invoices: ElectronicReference (free text; on e-invoices it is the
//   buyer's reference, so tenants who send e-invoices with their own
//   reference there need another choice).
//
// Writing: creates carry the required fields (IsPrivatePerson false,
// EuThirdParty false, RotReducedInvoicingType 0, IsActive). Documented gaps:
// TermsOfPaymentId (required for customers) is taken from raw; a create
// without it is sent as is and Visma rejects it with a field error. Row
// ArticleNumber, UnitAbbreviation and PercentVat are read-only in Visma (they
// follow the article): rows are written with Text, Quantity and UnitPrice;
// the article -> ArticleId lookup is not implemented.
// CurrencyCode of an invoice is read-only (it comes from the customer).
#pragma once

#include "adapters/visma/versions.hpp"
#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace ledgerd::visma {

/// One CustomerApi / CustomerInvoiceApi object of version `v`;
/// std::nullopt with `error` naming what is missing.
std::optional<state::customer> read_customer(const version_table& v,
                                             const nlohmann::json& x,
                                             std::string& error);
std::optional<state::invoice> read_invoice(const version_table& v,
                                           const nlohmann::json& x,
                                           std::string& error);

/// Body of a customer create (raw = null) or update (raw = last object).
nlohmann::json write_customer(const version_table& v, const state::customer& x,
                              const nlohmann::json& raw);

/// Body of an invoice create.
nlohmann::json write_invoice(const version_table& v, const state::invoice& x);

} // namespace ledgerd::visma
