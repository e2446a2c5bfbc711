// Canonical <-> Fortnox v3 JSON for customers and invoices. The fields of
// each API version are one table (versions.hpp) that these functions walk;
// rows and status are read here, the same in every version so far.
//
// Reading: list items and details go through the same functions; fields a
// list item lacks keep their canonical defaults (the list is not complete,
// see capabilities::complete_list_items). Keys Fortnox always sends and
// ledgerd cannot do without (CustomerNumber, Name, DocumentNumber,
// CustomerNumber, InvoiceDate, Total; Price and DeliveredQuantity of rows)
// are required: if an API change renames one, the record is an error naming
// it, never a record of nulls. Empty strings read as absent (Fortnox sends
// null on fresh records and "" on others for the same unset field).
//
// Invoice status (read only; Fortnox changes it by actions, not by fields):
// Cancelled -> "cancelled"; Credit true or a CreditInvoiceReference other
// than "0" -> "credited"; Booked with Balance 0 and a FinalPayDate ->
// "paid"; Booked -> "booked"; Sent -> "sent"; else "draft".
//
// Money: Total/TotalVAT/Price in minor units of the invoice currency. Row
// prices: Price, or PriceExcludingVAT when the invoice has VATIncluded.
//
// Writing: create bodies carry only mapped fields that are set. Update
// bodies start from `raw` (the last Fortnox object), drop keys Fortnox
// computes or owns (see mapping.cpp), and overwrite the mapped fields; a
// field cleared in canonical is written as "" (Fortnox ignores null). Money
// goes out as JSON numbers, DeliveredQuantity as a string (as Fortnox sends
// it). Invoice Total/TotalVAT/status are never written: Fortnox computes them
// from the rows. DocumentNumber is left to Fortnox on create.
#pragma once

#include "adapters/fortnox/versions.hpp"
#include "state/canonical.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace ledgerd::fortnox {

/// A Fortnox Customer object of version `v` (detail or list item) as
/// canonical; std::nullopt with `error` naming what is missing.
std::optional<state::customer> read_customer(const version_table& v,
                                             const nlohmann::json& x,
                                             std::string& error);

/// A Fortnox Invoice object of version `v` (detail or list item) as
/// canonical.
std::optional<state::invoice> read_invoice(const version_table& v,
                                           const nlohmann::json& x,
                                           std::string& error);

/// The inner Customer / Invoice object for a create (raw = null) or an
/// update (raw = the last Fortnox object).
nlohmann::json write_customer(const version_table& v, const state::customer& x,
                              const nlohmann::json& raw);
nlohmann::json write_invoice(const version_table& v, const state::invoice& x,
                             const nlohmann::json& raw);

} // namespace ledgerd::fortnox
