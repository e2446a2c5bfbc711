#include "adapters/visma/mapping.hpp"

#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/provider/money.hpp"
#include "adapters/provider/write_json.hpp"

#include <array>

namespace ledgerd::visma {

namespace {

using nlohmann::json;
using provider::minor_unit_digits;
using provider::missing;
namespace lenient = provider::lenient;

// Read-only keys of CustomerApi: never sent back in an update.
constexpr std::array<std::string_view, 4> customer_owned{
  "ChangedUtc", "LastInvoiceDate", "PayToAccountId", "TermsOfPayment"};

// "2024-01-15T00:00:00" -> "2024-01-15".
std::optional<std::string> date_of(const json& x, std::string_view key) {
  auto text = lenient::nonempty(x, key);
  if (text && text->size() >= 10)
    text->resize(10);
  return text;
}

// The invoice-currency amount when Visma gives one, else the plain one.
std::optional<int64_t> amount(const json& x, std::string_view invoice_currency,
                              std::string_view plain, int digits) {
  if (auto v = lenient::decimal(x, invoice_currency, digits))
    return v;
  return lenient::decimal(x, plain, digits);
}

std::optional<int32_t> vat_percent(const json& row) {
  auto hundredths = lenient::decimal(row, "PercentVat", 2);
  if (!hundredths)
    return std::nullopt;
  // A fraction (0.25) reads as 25 hundredths: scale it to percent.
  if (*hundredths <= 100) {
    auto percent = lenient::decimal(row, "PercentVat", 4);
    return static_cast<int32_t>(*percent);
  }
  return static_cast<int32_t>(*hundredths);
}

std::optional<state::invoice_row> read_row(const json& x, std::size_t index,
                                           int digits, std::string& error) {
  auto where = "Rows[" + std::to_string(index) + "]";
  if (!x.is_object())
    return missing(error, where);
  where += '.';
  state::invoice_row row;
  row.line_no = static_cast<int32_t>(index + 1);
  row.article = lenient::nonempty(x, "ArticleNumber");
  row.description = lenient::nonempty(x, "Text");
  row.unit = lenient::nonempty(x, "UnitAbbreviation");
  // Text rows carry no quantity or price.
  bool text_row = lenient::boolean(x, "IsTextRow").value_or(false);
  auto quantity = lenient::decimal(x, "Quantity", 4);
  auto price = lenient::decimal(x, "UnitPrice", digits);
  if (!quantity && !text_row)
    return missing(error, where + "Quantity");
  if (!price && !text_row)
    return missing(error, where + "UnitPrice");
  row.quantity_e4 = quantity.value_or(0);
  row.unit_price = price.value_or(0);
  row.vat_percent_e2 = vat_percent(x).value_or(0);
  return row;
}

std::string invoice_status(const json& x, int64_t total, int digits) {
  if (lenient::boolean(x, "IsCreditInvoice").value_or(false))
    return "credited";
  auto remaining
    = amount(x, "RemainingAmountInvoiceCurrency", "RemainingAmount", digits);
  if (remaining && *remaining == 0 && total != 0)
    return "paid";
  return "booked";
}

} // namespace

std::optional<state::customer> read_customer(const json& x,
                                             std::string& error) {
  if (!x.is_object())
    return missing(error, "customer");
  state::customer c;
  c.remote_id = lenient::nonempty(x, "Id");
  if (!c.remote_id)
    return missing(error, "Id");
  auto name = lenient::text(x, "Name");
  if (!name)
    return missing(error, "Name");
  c.name = *name;
  c.customer_number = lenient::nonempty(x, "CustomerNumber");
  c.org_number = lenient::nonempty(x, "CorporateIdentityNumber");
  c.vat_number = lenient::nonempty(x, "VatNumber");
  c.email = lenient::nonempty(x, "EmailAddress");
  c.phone = lenient::nonempty(x, "Telephone");
  c.address1 = lenient::nonempty(x, "InvoiceAddress1");
  c.address2 = lenient::nonempty(x, "InvoiceAddress2");
  c.postal_code = lenient::nonempty(x, "InvoicePostalCode");
  c.city = lenient::nonempty(x, "InvoiceCity");
  c.country_code
    = provider::ascii_upper(lenient::nonempty(x, "InvoiceCountryCode"));
  c.currency = provider::ascii_upper(lenient::nonempty(x, "CurrencyCode"))
                 .value_or(c.currency);
  c.active = lenient::boolean(x, "IsActive").value_or(true);
  c.external_ref = lenient::nonempty(x, "Note");
  return c;
}

std::optional<state::invoice> read_invoice(const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "invoice");
  state::invoice inv;
  inv.remote_id = lenient::nonempty(x, "Id");
  if (!inv.remote_id)
    return missing(error, "Id");
  inv.invoice_number = lenient::nonempty(x, "InvoiceNumber");
  auto customer = lenient::nonempty(x, "CustomerId");
  if (!customer)
    return missing(error, "CustomerId");
  inv.customer_remote_id = *customer;
  auto date = date_of(x, "InvoiceDate");
  if (!date)
    return missing(error, "InvoiceDate");
  inv.invoice_date = *date;
  inv.due_date = date_of(x, "DueDate");
  inv.currency = provider::ascii_upper(lenient::nonempty(x, "CurrencyCode"))
                   .value_or("SEK");
  auto digits = minor_unit_digits(inv.currency);
  auto total = amount(x, "TotalAmountInvoiceCurrency", "TotalAmount", digits);
  if (!total)
    return missing(error, "TotalAmount");
  inv.total = *total;
  inv.vat = amount(x, "TotalVatAmountInvoiceCurrency", "TotalVatAmount", digits)
              .value_or(0);
  inv.status = invoice_status(x, inv.total, digits);
  inv.your_reference = lenient::nonempty(x, "YourReference");
  inv.our_reference = lenient::nonempty(x, "OurReference");
  inv.external_ref = lenient::nonempty(x, "ElectronicReference");
  auto rows = lenient::find(x, "Rows");
  if (rows == nullptr || !rows->is_array())
    return missing(error, "Rows");
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto row = read_row((*rows)[i], i, digits, error);
    if (!row)
      return std::nullopt;
    inv.rows.push_back(std::move(*row));
  }
  return inv;
}

json write_customer(const state::customer& x, const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, customer_owned);
  provider::field_writer set{out, create, nullptr};
  set("CustomerNumber", x.customer_number);
  out["Name"] = x.name;
  set("CorporateIdentityNumber", x.org_number);
  set("VatNumber", x.vat_number);
  set("EmailAddress", x.email);
  set("Telephone", x.phone);
  set("InvoiceAddress1", x.address1);
  set("InvoiceAddress2", x.address2);
  set("InvoicePostalCode", x.postal_code);
  set("InvoiceCity", x.city);
  set("InvoiceCountryCode", x.country_code);
  out["CurrencyCode"] = x.currency;
  out["IsActive"] = x.active;
  set("Note", x.external_ref);
  if (!out.contains("IsPrivatePerson"))
    out["IsPrivatePerson"] = false;
  return out;
}

json write_invoice(const state::invoice& x) {
  auto digits = minor_unit_digits(x.currency);
  json out = {{"EuThirdParty", false},
              {"RotReducedInvoicingType", 0},
              {"CustomerId", x.customer_remote_id},
              {"InvoiceDate", x.invoice_date}};
  provider::put_present(out, "DueDate", x.due_date);
  provider::put_present(out, "YourReference", x.your_reference);
  provider::put_present(out, "OurReference", x.our_reference);
  provider::put_present(out, "ElectronicReference", x.external_ref);
  json rows = json::array();
  for (const auto& row : x.rows) {
    // The rate goes with every row (a fraction: 25 % = 0.25) and a 0 % row
    // is VAT-free: without them Visma applies its default rate, and its
    // totals differ from ours.
    json r = {{"Quantity", provider::decimal_number(row.quantity_e4, 4)},
              {"UnitPrice", provider::decimal_number(row.unit_price, digits)},
              {"PercentVat", provider::decimal_number(row.vat_percent_e2, 4)},
              {"IsVatFree", row.vat_percent_e2 == 0}};
    provider::put_present(r, "Text", row.description);
    rows.push_back(std::move(r));
  }
  out["Rows"] = std::move(rows);
  return out;
}

} // namespace ledgerd::visma
