#include "adapters/visma/mapping.hpp"

#include "adapters/provider/field_table.hpp"
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/provider/money.hpp"
#include "adapters/provider/write_json.hpp"

namespace ledgerd::visma {

namespace {

using nlohmann::json;
using provider::minor_unit_digits;
using provider::missing;
namespace lenient = provider::lenient;

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

std::optional<state::customer>
read_customer(const version_table& v, const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "customer");
  state::customer c;
  if (!provider::read_fields(x, v.customer, provider::field_pass::plain, 0, c,
                             error))
    return std::nullopt;
  return c;
}

std::optional<state::invoice> read_invoice(const version_table& v,
                                           const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "invoice");
  state::invoice inv;
  using provider::field_pass;
  if (!provider::read_fields(x, v.invoice, field_pass::plain, 0, inv, error))
    return std::nullopt;
  auto digits = minor_unit_digits(inv.currency);
  if (!provider::read_fields(x, v.invoice, field_pass::money, digits, inv,
                             error))
    return std::nullopt;
  inv.status = invoice_status(x, inv.total, digits);
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

json write_customer(const version_table& v, const state::customer& x,
                    const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, v.customer_owned);
  provider::write_fields(x, v.customer,
                         provider::field_writer{out, create, nullptr});
  if (!out.contains("IsPrivatePerson"))
    out["IsPrivatePerson"] = false;
  return out;
}

json write_invoice(const version_table& v, const state::invoice& x) {
  auto digits = minor_unit_digits(x.currency);
  json out = {{"EuThirdParty", false}, {"RotReducedInvoicingType", 0}};
  provider::write_fields(x, v.invoice,
                         provider::field_writer{out, true, nullptr});
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
