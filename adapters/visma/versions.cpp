#include "adapters/visma/versions.hpp"

#include <array>

namespace ledgerd::visma {

namespace {

using provider::field;
using enum provider::field_kind;
using state::customer;
using state::invoice;

// Positional: {key, member, kind, required, writable, fallback}.
constexpr field<customer> v2_customer[] = {
  {"Id", &customer::remote_id, text, true, false, ""},
  {"Name", &customer::name, verbatim, true, true, ""},
  {"CustomerNumber", &customer::customer_number, text, false, true, ""},
  {"CorporateIdentityNumber", &customer::org_number, text, false, true, ""},
  {"VatNumber", &customer::vat_number, text, false, true, ""},
  {"EmailAddress", &customer::email, text, false, true, ""},
  {"Telephone", &customer::phone, text, false, true, ""},
  {"InvoiceAddress1", &customer::address1, text, false, true, ""},
  {"InvoiceAddress2", &customer::address2, text, false, true, ""},
  {"InvoicePostalCode", &customer::postal_code, text, false, true, ""},
  {"InvoiceCity", &customer::city, text, false, true, ""},
  {"InvoiceCountryCode", &customer::country_code, code, false, true, ""},
  {"CurrencyCode", &customer::currency, code, false, true, ""},
  {"IsActive", &customer::active, flag, false, true, ""},
  {"Note", &customer::external_ref, text, false, true, ""},
};

// CurrencyCode of an invoice comes from its customer: read, never written.
constexpr field<invoice> v2_invoice[] = {
  {"Id", &invoice::remote_id, text, true, false, ""},
  {"InvoiceNumber", &invoice::invoice_number, text, false, false, ""},
  {"CustomerId", &invoice::customer_remote_id, text, true, true, ""},
  {"InvoiceDate", &invoice::invoice_date, date, true, true, ""},
  {"DueDate", &invoice::due_date, date, false, true, ""},
  {"CurrencyCode", &invoice::currency, code, false, false, ""},
  {"TotalAmountInvoiceCurrency", &invoice::total, money, true, false,
   "TotalAmount"},
  {"TotalVatAmountInvoiceCurrency", &invoice::vat, money, false, false,
   "TotalVatAmount"},
  {"YourReference", &invoice::your_reference, text, false, true, ""},
  {"OurReference", &invoice::our_reference, text, false, true, ""},
  {"ElectronicReference", &invoice::external_ref, text, false, true, ""},
};

// The stand-in for a future version (versions.hpp): v2 with Email,
// BuyerReference and ExternalReference; Note is not mapped.
constexpr field<customer> v3_customer[] = {
  {"Id", &customer::remote_id, text, true, false, ""},
  {"Name", &customer::name, verbatim, true, true, ""},
  {"CustomerNumber", &customer::customer_number, text, false, true, ""},
  {"CorporateIdentityNumber", &customer::org_number, text, false, true, ""},
  {"VatNumber", &customer::vat_number, text, false, true, ""},
  {"Email", &customer::email, text, false, true, ""},
  {"Telephone", &customer::phone, text, false, true, ""},
  {"InvoiceAddress1", &customer::address1, text, false, true, ""},
  {"InvoiceAddress2", &customer::address2, text, false, true, ""},
  {"InvoicePostalCode", &customer::postal_code, text, false, true, ""},
  {"InvoiceCity", &customer::city, text, false, true, ""},
  {"InvoiceCountryCode", &customer::country_code, code, false, true, ""},
  {"CurrencyCode", &customer::currency, code, false, true, ""},
  {"IsActive", &customer::active, flag, false, true, ""},
  {"ExternalReference", &customer::external_ref, text, false, true, ""},
};

constexpr field<invoice> v3_invoice[] = {
  {"Id", &invoice::remote_id, text, true, false, ""},
  {"InvoiceNumber", &invoice::invoice_number, text, false, false, ""},
  {"CustomerId", &invoice::customer_remote_id, text, true, true, ""},
  {"InvoiceDate", &invoice::invoice_date, date, true, true, ""},
  {"DueDate", &invoice::due_date, date, false, true, ""},
  {"CurrencyCode", &invoice::currency, code, false, false, ""},
  {"TotalAmountInvoiceCurrency", &invoice::total, money, true, false,
   "TotalAmount"},
  {"TotalVatAmountInvoiceCurrency", &invoice::vat, money, false, false,
   "TotalVatAmount"},
  {"BuyerReference", &invoice::your_reference, text, false, true, ""},
  {"OurReference", &invoice::our_reference, text, false, true, ""},
  {"ElectronicReference", &invoice::external_ref, text, false, true, ""},
};

constexpr std::string_view customer_owned[]
  = {"ChangedUtc", "LastInvoiceDate", "PayToAccountId", "TermsOfPayment"};

constexpr std::array versions{
  version_table{"v2", v2_customer, v2_invoice, customer_owned, {}},
  version_table{"v3", v3_customer, v3_invoice, customer_owned, {}},
};

constexpr std::array<std::string_view, versions.size()> names{"v2", "v3"};
static_assert(names[0] == versions[0].name && names[1] == versions[1].name);

} // namespace

const version_table* find_version(std::string_view name) {
  return provider::find_version(versions, name);
}

std::span<const std::string_view> known_versions() {
  return names;
}

} // namespace ledgerd::visma
