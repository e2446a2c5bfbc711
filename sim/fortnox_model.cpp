#include "sim/fortnox_model.hpp"

#include <cmath>
#include <map>

#include "sim/money.hpp"

namespace ledgerd::sim::fortnox {

namespace {

// fixtures/providers/fortnox/customer_create_201.json without "@url".
constexpr const char* customer_template = R"json({
  "Address1": null, "Address2": null, "City": null, "Country": null,
  "Comments": null, "Currency": "SEK", "CostCenter": null,
  "CountryCode": null, "Active": true, "CustomerNumber": "",
  "DefaultDeliveryTypes": {"Invoice": "PRINT", "Order": "PRINT",
                           "Offer": "PRINT"},
  "DefaultTemplates": {"Order": "DEFAULTTEMPLATE", "Offer": "DEFAULTTEMPLATE",
                       "Invoice": "DEFAULTTEMPLATE",
                       "CashInvoice": "DEFAULTTEMPLATE"},
  "DeliveryAddress1": null, "DeliveryAddress2": null, "DeliveryCity": null,
  "DeliveryCountry": null, "DeliveryCountryCode": null, "DeliveryFax": null,
  "DeliveryName": null, "DeliveryPhone1": null, "DeliveryPhone2": null,
  "DeliveryZipCode": null, "Email": "", "EmailInvoice": "",
  "EmailInvoiceBCC": "", "EmailInvoiceCC": "", "EmailOffer": "",
  "EmailOfferBCC": "", "EmailOfferCC": "", "EmailOrder": "",
  "EmailOrderBCC": "", "EmailOrderCC": "", "ExternalReference": null,
  "Fax": null, "GLN": null, "GLNDelivery": null,
  "InvoiceAdministrationFee": null, "InvoiceDiscount": null,
  "InvoiceFreight": null, "InvoiceRemark": "", "Name": "",
  "OrganisationNumber": "", "OurReference": "", "Phone1": null,
  "Phone2": null, "PriceList": "A", "Project": "", "SalesAccount": null,
  "ShowPriceVATIncluded": false, "TermsOfDelivery": "", "TermsOfPayment": "",
  "Type": "COMPANY", "VATNumber": "", "VATType": "SEVAT",
  "VisitingAddress": null, "VisitingCity": null, "VisitingCountry": null,
  "VisitingCountryCode": null, "VisitingZipCode": null, "WayOfDelivery": "",
  "WWW": "", "YourReference": "", "ZipCode": null
})json";

// fixtures/providers/fortnox/invoice_create_with_row_201.json without the
// URLs and rows.
constexpr const char* invoice_template = R"json({
  "AccountingMethod": "ACCRUAL", "Address1": "", "Address2": "",
  "AdministrationFee": 0, "AdministrationFeeVAT": 0, "Balance": 0,
  "BasisTaxReduction": 0, "Booked": false, "Cancelled": false, "City": "",
  "Comments": "", "ContractReference": "0", "ContributionPercent": 0,
  "ContributionValue": 0, "CostCenter": "", "Country": "", "Credit": "false",
  "CreditInvoiceReference": "0", "Currency": "SEK", "CurrencyRate": 1,
  "CurrencyUnit": 1, "CustomerName": "", "CustomerNumber": "",
  "DeliveryAddress1": "", "DeliveryAddress2": "", "DeliveryCity": "",
  "DeliveryCountry": "", "DeliveryDate": null, "DeliveryName": "",
  "DeliveryZipCode": "", "DocumentNumber": "", "DueDate": "",
  "EDIInformation": {"EDIGlobalLocationNumber": null,
                     "EDIGlobalLocationNumberDelivery": null,
                     "EDIInvoiceExtra1": null, "EDIInvoiceExtra2": null,
                     "EDIOurElectronicReference": null,
                     "EDIYourElectronicReference": null, "EDIStatus": ""},
  "EUQuarterlyReport": false,
  "EmailInformation": {"EmailAddressFrom": null, "EmailAddressTo": "",
                       "EmailAddressCC": null, "EmailAddressBCC": null,
                       "EmailSubject": "Faktura {no} bifogas",
                       "EmailBody": " "},
  "ExternalInvoiceReference1": "", "ExternalInvoiceReference2": "",
  "FinalPayDate": null, "Freight": 0, "FreightVAT": 0, "Gross": 0,
  "HouseWork": false, "InvoiceDate": "", "InvoicePeriodEnd": "",
  "InvoicePeriodStart": "", "InvoiceReference": "0", "InvoiceRows": [],
  "InvoiceType": "INVOICE", "Labels": [], "Language": "SV",
  "LastRemindDate": null, "Net": 0, "NotCompleted": false, "NoxFinans": false,
  "OCR": "", "OfferReference": "0", "OrderReference": "0",
  "OrganisationNumber": "", "OurReference": "", "OutboundDate": "",
  "PaymentWay": "", "Phone1": "", "Phone2": "", "PriceList": "A",
  "PrintTemplate": "st", "Project": "", "Remarks": "", "Reminders": 0,
  "RoundOff": 0, "Sent": false, "TaxReduction": null,
  "TaxReductionType": "none", "TermsOfDelivery": "", "TermsOfPayment": "30",
  "TimeBasisReference": null, "Total": 0, "TotalToPay": 0, "TotalVAT": 0,
  "VATIncluded": false, "VoucherNumber": null, "VoucherSeries": null,
  "VoucherYear": null, "WarehouseReady": true, "WayOfDelivery": "",
  "YourOrderNumber": "", "YourReference": "", "ZipCode": ""
})json";

// The row of the recorded 201, as defaults.
constexpr const char* row_template = R"json({
  "AccountNumber": 3001, "ArticleNumber": "", "ContributionPercent": "0",
  "ContributionValue": "0", "Cost": 0, "CostCenter": "",
  "DeliveredQuantity": "0", "Description": "", "Discount": 0,
  "DiscountType": "PERCENT", "HouseWork": false,
  "HouseWorkHoursToReport": null, "HouseWorkType": null, "Price": 0,
  "PriceExcludingVAT": 0, "Project": "", "RowId": 0, "StockPointCode": null,
  "Total": 0, "TotalExcludingVAT": 0, "Unit": "", "VAT": 25, "VATCode": null
})json";

const nlohmann::json& parsed(const char* text) {
  // Each template is parsed once; callers copy.
  static thread_local std::map<const char*, nlohmann::json> cache;
  auto i = cache.find(text);
  if (i == cache.end())
    i = cache.emplace(text, nlohmann::json::parse(text)).first;
  return i->second;
}

std::string str_or_empty(const nlohmann::json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : "";
}

/// Whole kronor print as integers, like the recorded payloads ("Total": 0).
nlohmann::json amount(int64_t cents) {
  if (cents % 100 == 0)
    return cents / 100;
  return to_amount(cents);
}

std::string date_of(sys_ms t, std::chrono::days plus) {
  return format_stockholm_wall(t + plus).substr(0, 10);
}

} // namespace

nlohmann::json new_customer(const std::string& number) {
  auto c = parsed(customer_template);
  c["CustomerNumber"] = number;
  return c;
}

nlohmann::json customer_list_item(const nlohmann::json& full) {
  return {{"Address1", str_or_empty(full, "Address1")},
          {"Address2", str_or_empty(full, "Address2")},
          {"City", str_or_empty(full, "City")},
          {"CustomerNumber", full.at("CustomerNumber")},
          {"Email", str_or_empty(full, "Email")},
          {"Name", str_or_empty(full, "Name")},
          {"OrganisationNumber", str_or_empty(full, "OrganisationNumber")},
          {"Phone", str_or_empty(full, "Phone1")},
          {"ZipCode", str_or_empty(full, "ZipCode")}};
}

nlohmann::json new_invoice(const std::string& number,
                           const nlohmann::json& customer, sys_ms now) {
  auto inv = parsed(invoice_template);
  inv["DocumentNumber"] = number;
  inv["OCR"] = number + "47";
  inv["CustomerNumber"] = customer.at("CustomerNumber");
  inv["CustomerName"] = str_or_empty(customer, "Name");
  for (const char* k :
       {"Address1", "Address2", "City", "ZipCode", "OrganisationNumber"})
    inv[k] = str_or_empty(customer, k);
  inv["InvoiceDate"] = date_of(now, std::chrono::days{0});
  inv["OutboundDate"] = inv["InvoiceDate"];
  inv["DueDate"] = date_of(now, std::chrono::days{30});
  return inv;
}

void set_rows(nlohmann::json& invoice, const nlohmann::json& rows,
              uint64_t& next_row_id) {
  auto out = nlohmann::json::array();
  for (const auto& r : rows) {
    auto row = parsed(row_template);
    for (const auto& [k, v] : r.items())
      row[k] = v;
    // Fortnox answers with quantity as a string and price as a number.
    auto q = lenient_number(row["DeliveredQuantity"], 0);
    row["DeliveredQuantity"] = q == std::floor(q)
                                 ? std::to_string(static_cast<int64_t>(q))
                                 : std::to_string(q);
    row["Price"] = lenient_number(row["Price"], 0);
    row["RowId"] = next_row_id++;
    out.push_back(std::move(row));
  }
  invoice["InvoiceRows"] = std::move(out);
  recompute_totals(invoice);
}

void recompute_totals(nlohmann::json& invoice) {
  int64_t net = 0;
  int64_t vat = 0;
  for (auto& row : invoice["InvoiceRows"]) {
    double price = lenient_number(row["Price"], 0);
    double qty = lenient_number(row["DeliveredQuantity"], 0);
    double discount = lenient_number(row["Discount"], 0);
    // Discount in percent; VAT a percent with up to two decimals.
    auto line = line_cents(price, qty, scaled(discount, 4));
    auto line_vat
      = round_div(line * scaled(lenient_number(row["VAT"], 25), 2), 10'000);
    row["PriceExcludingVAT"] = price;
    row["Total"] = amount(line);
    row["TotalExcludingVAT"] = amount(line);
    net += line;
    vat += line_vat;
  }
  invoice["Net"] = amount(net);
  invoice["Gross"] = amount(net);
  invoice["TotalVAT"] = amount(vat);
  invoice["Total"] = amount(net + vat);
  invoice["TotalToPay"] = amount(net + vat);
  invoice["Balance"] = amount(net + vat);
}

void round_off_total(nlohmann::json& invoice) {
  auto total = to_cents(lenient_number(invoice["Total"], 0));
  // Half a krona rounds away from zero, as llround does.
  auto rounded = std::llround(static_cast<double>(total) / 100.0) * 100;
  invoice["RoundOff"] = amount(rounded - total);
  invoice["Total"] = amount(rounded);
  invoice["TotalToPay"] = amount(rounded);
  invoice["Balance"] = amount(rounded);
}

nlohmann::json credit_invoice(const nlohmann::json& original,
                              const std::string& number, bool copy_reference,
                              uint64_t& next_row_id) {
  auto credit = original;
  credit["DocumentNumber"] = number;
  credit["OCR"] = number + "47"; // as new_invoice
  credit["Credit"] = "true";
  credit["InvoiceReference"] = original.at("DocumentNumber");
  credit["CreditInvoiceReference"] = "0";
  credit["Booked"] = false;
  credit["Cancelled"] = false;
  credit["Sent"] = false;
  for (const char* k : {"VoucherNumber", "VoucherSeries", "VoucherYear"})
    credit[k] = nullptr;
  if (!copy_reference)
    credit["ExternalInvoiceReference1"] = "";
  auto rows = original.value("InvoiceRows", nlohmann::json::array());
  for (auto& row : rows)
    row["DeliveredQuantity"] = -lenient_number(row["DeliveredQuantity"], 0);
  set_rows(credit, rows, next_row_id);
  credit["RoundOff"] = 0;
  // Rounding is symmetric, so the credit's total is exactly the negation.
  if (lenient_number(original.value("RoundOff", nlohmann::json(0)), 0) != 0)
    round_off_total(credit);
  return credit;
}

nlohmann::json invoice_list_item(const nlohmann::json& full) {
  nlohmann::json item = nlohmann::json::object();
  for (const char* k : {"Balance",
                        "Booked",
                        "Cancelled",
                        "CostCenter",
                        "Currency",
                        "CurrencyUnit",
                        "CustomerName",
                        "CustomerNumber",
                        "DocumentNumber",
                        "DueDate",
                        "ExternalInvoiceReference1",
                        "ExternalInvoiceReference2",
                        "InvoiceDate",
                        "InvoiceType",
                        "NoxFinans",
                        "OCR",
                        "VoucherNumber",
                        "VoucherSeries",
                        "VoucherYear",
                        "WayOfDelivery",
                        "TermsOfPayment",
                        "Project",
                        "Sent",
                        "Total",
                        "FinalPayDate"})
    item[k] = full.contains(k) ? full.at(k) : nlohmann::json{};
  // The recorded list has the rate as a string, the detail as a number.
  auto rate = lenient_number(full.value("CurrencyRate", nlohmann::json(1)), 1);
  item["CurrencyRate"] = rate == std::floor(rate)
                           ? std::to_string(static_cast<int64_t>(rate))
                           : std::to_string(rate);
  return item;
}

nlohmann::json with_urls(nlohmann::json j, const std::string& base,
                         const std::string& kind, const std::string& id) {
  j["@url"] = base + "/" + kind + "/" + id;
  if (kind == "invoices" && j.contains("InvoiceRows"))
    j["@urlTaxReductionList"] = base
                                + "/taxreductions?filter=invoices&"
                                  "referencenumber="
                                + id;
  return j;
}

nlohmann::json error(int code, const std::string& message, bool capitalized) {
  if (capitalized)
    return {{"ErrorInformation",
             {{"Error", 1}, {"Message", message}, {"Code", code}}}};
  return {
    {"ErrorInformation", {{"error", 1}, {"message", message}, {"code", code}}}};
}

} // namespace ledgerd::sim::fortnox
