#include "adapters/fortnox/mapping.hpp"

#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/provider/money.hpp"
#include "adapters/provider/write_json.hpp"

#include <array>

namespace ledgerd::fortnox {

namespace {

using nlohmann::json;
using provider::minor_unit_digits;
using provider::missing;
namespace lenient = provider::lenient;

// Keys Fortnox computes or owns: an update body never sends them back (a
// best reading of the OpenAPI's read-only marks; unknown keys stay), nor
// '@' links (provider::writable with drop_links).
constexpr std::array<std::string_view, 2> customer_owned{"@url",
                                                         "CustomerNumber"};

constexpr std::array<std::string_view, 31> invoice_owned{
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

constexpr std::array<std::string_view, 5> row_owned{
  "ContributionPercent", "ContributionValue", "PriceExcludingVAT", "Total",
  "TotalExcludingVAT"};

std::string invoice_status(const json& x) {
  auto yes = [&](std::string_view key) {
    return lenient::boolean(x, key).value_or(false);
  };
  auto credit_ref = lenient::nonempty(x, "CreditInvoiceReference");
  if (yes("Cancelled"))
    return "cancelled";
  if (yes("Credit") || (credit_ref && *credit_ref != "0"))
    return "credited";
  if (yes("Booked")) {
    bool settled = lenient::decimal(x, "Balance", 2).value_or(1) == 0
                   && lenient::nonempty(x, "FinalPayDate").has_value();
    return settled ? "paid" : "booked";
  }
  return yes("Sent") ? "sent" : "draft";
}

std::optional<state::invoice_row> read_row(const json& x, std::size_t index,
                                           bool vat_included, int digits,
                                           std::string& error) {
  auto where = "InvoiceRows[" + std::to_string(index) + "]";
  if (!x.is_object())
    return missing(error, where);
  where += '.';
  state::invoice_row row;
  row.line_no = static_cast<int32_t>(index + 1);
  row.article = lenient::nonempty(x, "ArticleNumber");
  row.description = lenient::nonempty(x, "Description");
  row.unit = lenient::nonempty(x, "Unit");
  auto quantity = lenient::decimal(x, "DeliveredQuantity", 4);
  if (!quantity)
    return missing(error, where + "DeliveredQuantity");
  row.quantity_e4 = *quantity;
  auto price = vat_included && lenient::find(x, "PriceExcludingVAT")
                 ? lenient::decimal(x, "PriceExcludingVAT", digits)
                 : lenient::decimal(x, "Price", digits);
  if (!price)
    return missing(error, where + "Price");
  row.unit_price = *price;
  if (auto vat = lenient::decimal(x, "VAT", 2))
    row.vat_percent_e2 = static_cast<int32_t>(*vat);
  return row;
}

json write_row(const state::invoice_row& row, const json* raw_row, int digits) {
  // Unknown row fields (AccountNumber, CostCenter...) belong to the article:
  // reuse them only while the article is the same.
  bool reuse = raw_row != nullptr
               && lenient::nonempty(*raw_row, "ArticleNumber") == row.article;
  json out
    = reuse ? provider::writable(*raw_row, row_owned, true) : json::object();
  provider::field_writer set{out, !reuse, ""};
  set("ArticleNumber", row.article);
  set("Description", row.description);
  out["DeliveredQuantity"] = state::format_decimal(row.quantity_e4, 4);
  set("Unit", row.unit);
  out["Price"] = provider::decimal_number(row.unit_price, digits);
  out["VAT"] = provider::decimal_number(row.vat_percent_e2, 2);
  return out;
}

} // namespace

std::optional<state::customer> read_customer(const json& x,
                                             std::string& error) {
  if (!x.is_object())
    return missing(error, "Customer");
  state::customer c;
  c.remote_id = lenient::nonempty(x, "CustomerNumber");
  if (!c.remote_id)
    return missing(error, "Customer.CustomerNumber");
  auto name = lenient::text(x, "Name");
  if (!name)
    return missing(error, "Customer.Name");
  c.name = *name;
  c.customer_number = c.remote_id;
  c.org_number = lenient::nonempty(x, "OrganisationNumber");
  c.vat_number = lenient::nonempty(x, "VATNumber");
  c.email = lenient::nonempty(x, "Email");
  // Details have Phone1 (and Phone2), list items only Phone.
  c.phone = lenient::find(x, "Phone1") ? lenient::nonempty(x, "Phone1")
                                       : lenient::nonempty(x, "Phone");
  c.address1 = lenient::nonempty(x, "Address1");
  c.address2 = lenient::nonempty(x, "Address2");
  c.postal_code = lenient::nonempty(x, "ZipCode");
  c.city = lenient::nonempty(x, "City");
  c.country_code = provider::ascii_upper(lenient::nonempty(x, "CountryCode"));
  c.currency = provider::ascii_upper(
    lenient::nonempty(x, "Currency").value_or(c.currency));
  c.active = lenient::boolean(x, "Active").value_or(true);
  c.external_ref = lenient::nonempty(x, "ExternalReference");
  return c;
}

std::optional<state::invoice> read_invoice(const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "Invoice");
  state::invoice inv;
  inv.remote_id = lenient::nonempty(x, "DocumentNumber");
  if (!inv.remote_id)
    return missing(error, "Invoice.DocumentNumber");
  inv.invoice_number = inv.remote_id;
  auto customer = lenient::nonempty(x, "CustomerNumber");
  if (!customer)
    return missing(error, "Invoice.CustomerNumber");
  inv.customer_remote_id = *customer;
  auto date = lenient::nonempty(x, "InvoiceDate");
  if (!date)
    return missing(error, "Invoice.InvoiceDate");
  inv.invoice_date = *date;
  inv.due_date = lenient::nonempty(x, "DueDate");
  inv.currency = provider::ascii_upper(
    lenient::nonempty(x, "Currency").value_or(inv.currency));
  auto digits = minor_unit_digits(inv.currency);
  auto total = lenient::decimal(x, "Total", digits);
  if (!total)
    return missing(error, "Invoice.Total");
  inv.total = *total;
  inv.vat = lenient::decimal(x, "TotalVAT", digits).value_or(0);
  inv.status = invoice_status(x);
  inv.your_reference = lenient::nonempty(x, "YourReference");
  inv.our_reference = lenient::nonempty(x, "OurReference");
  inv.external_ref = lenient::nonempty(x, "ExternalInvoiceReference1");
  if (auto rows = lenient::find(x, "InvoiceRows")) {
    if (!rows->is_array())
      return missing(error, "Invoice.InvoiceRows");
    bool vat_included = lenient::boolean(x, "VATIncluded").value_or(false);
    for (std::size_t i = 0; i < rows->size(); ++i) {
      auto row = read_row((*rows)[i], i, vat_included, digits, error);
      if (!row) {
        error = "Invoice." + error;
        return std::nullopt;
      }
      inv.rows.push_back(std::move(*row));
    }
  }
  return inv;
}

json write_customer(const state::customer& x, const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, customer_owned, true);
  provider::field_writer set{out, create, ""};
  if (create)
    provider::put_present(out, "CustomerNumber",
                          x.customer_number ? x.customer_number : x.remote_id);
  out["Name"] = x.name;
  set("OrganisationNumber", x.org_number);
  set("VATNumber", x.vat_number);
  set("Email", x.email);
  set("Phone1", x.phone);
  set("Address1", x.address1);
  set("Address2", x.address2);
  set("ZipCode", x.postal_code);
  set("City", x.city);
  set("CountryCode", x.country_code);
  out["Currency"] = x.currency;
  out["Active"] = x.active;
  set("ExternalReference", x.external_ref);
  return out;
}

json write_invoice(const state::invoice& x, const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, invoice_owned, true);
  provider::field_writer set{out, create, ""};
  auto digits = minor_unit_digits(x.currency);
  out["CustomerNumber"] = x.customer_remote_id;
  out["InvoiceDate"] = x.invoice_date;
  set("DueDate", x.due_date);
  out["Currency"] = x.currency;
  set("YourReference", x.your_reference);
  set("OurReference", x.our_reference);
  set("ExternalInvoiceReference1", x.external_ref);
  const json* raw_rows = create ? nullptr : lenient::find(raw, "InvoiceRows");
  json rows = json::array();
  for (std::size_t i = 0; i < x.rows.size(); ++i) {
    const json* raw_row
      = raw_rows && raw_rows->is_array() && i < raw_rows->size()
          ? &(*raw_rows)[i]
          : nullptr;
    rows.push_back(write_row(x.rows[i], raw_row, digits));
  }
  out["InvoiceRows"] = std::move(rows);
  return out;
}

} // namespace ledgerd::fortnox
