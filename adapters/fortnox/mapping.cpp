#include "adapters/fortnox/mapping.hpp"

#include "adapters/provider/field_table.hpp"
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

// Fields a list item lacks keep their canonical defaults.
std::optional<state::customer>
read_customer(const version_table& v, const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "Customer");
  state::customer c;
  if (!provider::read_fields(x, v.customer, provider::field_pass::plain, 0, c,
                             error)) {
    error = "Customer." + error;
    return std::nullopt;
  }
  return c;
}

std::optional<state::invoice> read_invoice(const version_table& v,
                                           const json& x, std::string& error) {
  if (!x.is_object())
    return missing(error, "Invoice");
  state::invoice inv;
  using provider::field_pass;
  auto digits = 0;
  for (auto pass : {field_pass::plain, field_pass::money}) {
    if (!provider::read_fields(x, v.invoice, pass, digits, inv, error)) {
      error = "Invoice." + error;
      return std::nullopt;
    }
    digits = minor_unit_digits(inv.currency);
  }
  inv.status = invoice_status(x);
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

json write_customer(const version_table& v, const state::customer& x,
                    const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, v.customer_owned, true);
  // A create chooses the number when the local record has one (a repeated
  // create then fails with 2000637 "already used", never a duplicate).
  if (create)
    provider::put_present(out, "CustomerNumber",
                          x.customer_number ? x.customer_number : x.remote_id);
  provider::write_fields(x, v.customer,
                         provider::field_writer{out, create, ""});
  return out;
}

json write_invoice(const version_table& v, const state::invoice& x,
                   const json& raw) {
  bool create = !raw.is_object();
  json out = provider::writable(raw, v.invoice_owned, true);
  provider::write_fields(x, v.invoice, provider::field_writer{out, create, ""});
  auto digits = minor_unit_digits(x.currency);
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
