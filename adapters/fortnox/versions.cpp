#include "adapters/fortnox/versions.hpp"

#include <array>

namespace ledgerd::fortnox {

namespace {

using provider::field;
using enum provider::field_kind;
using state::customer;
using state::invoice;

// Positional: {key, member, kind, required, writable, fallback}.
// CustomerNumber is both the key and the human number. It is not written
// by the table: a create sends the number it chooses (mapping.cpp) and an
// update never sends it (it is owned).
constexpr field<customer> v3_customer[] = {
  {"CustomerNumber", &customer::remote_id, text, true, false, ""},
  {"CustomerNumber", &customer::customer_number, text, false, false, ""},
  {"Name", &customer::name, verbatim, true, true, ""},
  {"OrganisationNumber", &customer::org_number, text, false, true, ""},
  {"VATNumber", &customer::vat_number, text, false, true, ""},
  {"Email", &customer::email, text, false, true, ""},
  // Details have Phone1 (and Phone2), list items only Phone.
  {"Phone1", &customer::phone, text, false, true, "Phone"},
  {"Address1", &customer::address1, text, false, true, ""},
  {"Address2", &customer::address2, text, false, true, ""},
  {"ZipCode", &customer::postal_code, text, false, true, ""},
  {"City", &customer::city, text, false, true, ""},
  {"CountryCode", &customer::country_code, code, false, true, ""},
  {"Currency", &customer::currency, code, false, true, ""},
  {"Active", &customer::active, flag, false, true, ""},
  {"ExternalReference", &customer::external_ref, text, false, true, ""},
};

// DocumentNumber is the key and the invoice number; Fortnox chooses it.
// Total and TotalVAT are computed by Fortnox from the rows.
constexpr field<invoice> v3_invoice[] = {
  {"DocumentNumber", &invoice::remote_id, text, true, false, ""},
  {"DocumentNumber", &invoice::invoice_number, text, false, false, ""},
  {"CustomerNumber", &invoice::customer_remote_id, text, true, true, ""},
  {"InvoiceDate", &invoice::invoice_date, date, true, true, ""},
  {"DueDate", &invoice::due_date, date, false, true, ""},
  {"Currency", &invoice::currency, code, false, true, ""},
  {"Total", &invoice::total, money, true, false, ""},
  {"TotalVAT", &invoice::vat, money, false, false, ""},
  {"YourReference", &invoice::your_reference, text, false, true, ""},
  {"OurReference", &invoice::our_reference, text, false, true, ""},
  {"ExternalInvoiceReference1", &invoice::external_ref, text, false, true, ""},
};

// Keys Fortnox computes or owns: an update body never sends them back (a
// best reading of the OpenAPI's read-only marks; unknown keys stay), nor
// '@' links (provider::writable with drop_links).
constexpr std::string_view v3_customer_owned[] = {"@url", "CustomerNumber"};

constexpr std::string_view v3_invoice_owned[] = {
  "AccountingMethod",
  "AdministrationFeeVAT",
  "Balance",
  "BasisTaxReduction",
  "Booked",
  "Cancelled",
  "ContractReference",
  "ContributionPercent",
  "ContributionValue",
  "Credit",
  "CreditInvoiceReference",
  "DocumentNumber",
  "FinalPayDate",
  "FreightVAT",
  "Gross",
  "InvoiceReference",
  "LastRemindDate",
  "Net",
  "NoxFinans",
  "OfferReference",
  "OrderReference",
  "Reminders",
  "RoundOff",
  "Sent",
  "Total",
  "TotalToPay",
  "TotalVAT",
  "VoucherNumber",
  "VoucherSeries",
  "VoucherYear",
  "WarehouseReady",
};

constexpr std::array versions{
  version_table{"3", v3_customer, v3_invoice, v3_customer_owned,
                v3_invoice_owned},
};

constexpr std::array<std::string_view, versions.size()> names{"3"};
static_assert(names[0] == versions[0].name);

} // namespace

const version_table* find_version(std::string_view name) {
  return provider::find_version(versions, name);
}

std::span<const std::string_view> known_versions() {
  return names;
}

} // namespace ledgerd::fortnox
