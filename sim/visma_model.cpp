#include "sim/visma_model.hpp"

#include "sim/money.hpp"

namespace ledgerd::sim::visma {

namespace {

constexpr const char* customer_template = R"json({
  "Id": "", "CustomerNumber": "", "CorporateIdentityNumber": null,
  "ContactPersonEmail": null, "ContactPersonMobile": null,
  "ContactPersonName": null, "ContactPersonPhone": null,
  "CurrencyCode": "SEK", "GLN": null, "EmailAddress": null,
  "InvoiceAddress1": null, "InvoiceAddress2": null, "InvoiceCity": "",
  "InvoiceCountryCode": "SE", "InvoicePostalCode": "",
  "DeliveryCustomerName": null, "DeliveryAddress1": null,
  "DeliveryAddress2": null, "DeliveryCity": null, "DeliveryCountryCode": null,
  "DeliveryPostalCode": null, "DeliveryMethodId": null, "DeliveryTermId": null,
  "PayToAccountId": null, "Name": "", "Note": null,
  "ExternalReference": null,
  "ReverseChargeOnConstructionServices": false, "WebshopCustomerNumber": null,
  "MobilePhone": null, "Telephone": null,
  "TermsOfPaymentId": "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036",
  "TermsOfPayment": {"Id": "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036",
                     "Name": "30 dagar", "NameEnglish": "30 days",
                     "NumberOfDays": 30, "TermsOfPaymentTypeId": 0,
                     "TermsOfPaymentTypeText": "Normal",
                     "AvailableForSales": true, "AvailableForPurchase": true},
  "VatNumber": null, "WwwAddress": null, "LastInvoiceDate": null,
  "IsPrivatePerson": false, "DiscountPercentage": 0.0, "ChangedUtc": null,
  "IsActive": true, "ForceBookkeepVat": false, "EdiGlnNumber": null,
  "SalesDocumentLanguage": "sv", "ElectronicAddress": null,
  "ElectronicReference": null, "EdiServiceDelivererId": null,
  "AutoInvoiceActivationEmailSentDate": null,
  "AutoInvoiceRegistrationRequestSentDate": null, "EmailAddresses": [],
  "CustomerLabels": []
})json";

constexpr const char* invoice_template = R"json({
  "Id": "", "EuThirdParty": false, "IsCreditInvoice": false,
  "CurrencyCode": "SEK", "CurrencyRate": 1.0, "CreatedByUserId": null,
  "TotalAmount": 0.0, "TotalVatAmount": 0.0, "TotalRoundings": 0.0,
  "TotalAmountInvoiceCurrency": 0.0, "TotalVatAmountInvoiceCurrency": 0.0,
  "CustomerId": "", "Rows": [], "InvoiceDate": "", "DueDate": "",
  "DeliveryDate": null, "RotReducedInvoicingType": 0,
  "RotReducedInvoicingAmount": 0.0, "RotReducedInvoicingPercent": 0.0,
  "RotReducedInvoicingPropertyName": null,
  "RotReducedInvoicingOrgNumber": null, "Persons": [],
  "RotReducedInvoicingAutomaticDistribution": false,
  "ElectronicReference": null, "ElectronicAddress": null,
  "EdiServiceDelivererId": null, "OurReference": null, "YourReference": null,
  "InvoiceCustomerName": "", "InvoiceAddress1": null, "InvoiceAddress2": null,
  "InvoicePostalCode": "", "InvoiceCity": "", "InvoiceCountryCode": "SE",
  "DeliveryCustomerName": null, "DeliveryAddress1": null,
  "DeliveryAddress2": null, "DeliveryPostalCode": null, "DeliveryCity": null,
  "DeliveryCountryCode": null, "DeliveryMethodName": null,
  "DeliveryTermName": null, "DeliveryMethodCode": null,
  "DeliveryTermCode": null, "CustomerIsPrivatePerson": false,
  "TermsOfPaymentId": "8f9a8f7b-5ea9-44c6-9725-9b8a1addb036",
  "CustomerEmail": null, "InvoiceNumber": 0, "CustomerNumber": "",
  "PaymentReferenceNumber": null, "RotPropertyType": null,
  "SalesDocumentAttachments": [], "HasAutoInvoiceError": false,
  "IsNotDelivered": false, "ReverseChargeOnConstructionServices": false,
  "WorkHouseOtherCosts": null, "RemainingAmount": 0.0,
  "RemainingAmountInvoiceCurrency": 0.0, "ReferringInvoiceId": null,
  "VoucherNumber": null, "VoucherId": null, "CreatedUtc": "",
  "ModifiedUtc": "", "ReversedConstructionVatInvoicing": false,
  "IncludesVat": false, "SendType": 0
})json";

constexpr const char* row_template = R"json({
  "Id": "", "ArticleNumber": null, "ArticleId": null, "AmountNoVat": 0.0,
  "PercentVat": 0.25, "LineNumber": 0, "IsTextRow": false, "Text": "",
  "UnitPrice": 0.0, "UnitAbbreviation": "st", "UnitAbbreviationEnglish": "pcs",
  "DiscountPercentage": 0.0, "Quantity": 1.0, "IsWorkCost": false,
  "IsVatFree": false, "CostCenterItemId1": null, "CostCenterItemId2": null,
  "CostCenterItemId3": null, "UnitId": null, "ProjectId": null,
  "WorkCostType": 0, "WorkHours": null, "MaterialCosts": null
})json";

std::string date_of(sys_ms t, std::chrono::days plus) {
  return format_utc(t + plus, false).substr(0, 10);
}

const nlohmann::json& invoice_defaults() {
  static const auto tmpl = nlohmann::json::parse(invoice_template);
  return tmpl;
}

/// The fields a draft lacks (see new_draft).
constexpr std::initializer_list<const char*> invoice_only
  = {"InvoiceNumber", "RemainingAmount", "RemainingAmountInvoiceCurrency",
     "VoucherNumber", "VoucherId"};

/// Sets `key` where the record has it: drafts lack the remaining amounts.
void set_if_present(nlohmann::json& j, const char* key,
                    const nlohmann::json& value) {
  if (j.contains(key))
    j[key] = value;
}

} // namespace

nlohmann::json new_customer(const std::string& id, const std::string& number,
                            sys_ms now) {
  static const auto tmpl = nlohmann::json::parse(customer_template);
  auto c = tmpl;
  c["Id"] = id;
  c["CustomerNumber"] = number;
  c["ChangedUtc"] = format_utc(now, true);
  return c;
}

nlohmann::json new_invoice(const std::string& id, int64_t number,
                           const nlohmann::json& customer, sys_ms now) {
  auto inv = invoice_defaults();
  inv["Id"] = id;
  inv["InvoiceNumber"] = number;
  inv["CustomerId"] = customer.at("Id");
  inv["CustomerNumber"] = customer.at("CustomerNumber");
  // Copied as the customer has them: a customer created through the API
  // may leave any of them null.
  auto copy = [&](const char* key) {
    return customer.value(key, nlohmann::json{});
  };
  inv["InvoiceCustomerName"] = copy("Name");
  inv["InvoiceAddress1"] = copy("InvoiceAddress1");
  inv["InvoicePostalCode"] = copy("InvoicePostalCode");
  inv["InvoiceCity"] = copy("InvoiceCity");
  inv["CustomerEmail"] = copy("EmailAddress");
  inv["InvoiceDate"] = date_of(now, std::chrono::days{0});
  inv["DueDate"] = date_of(now, std::chrono::days{30});
  inv["CreatedUtc"] = format_utc(now, true);
  inv["ModifiedUtc"] = inv["CreatedUtc"];
  return inv;
}

nlohmann::json new_draft(const std::string& id, const nlohmann::json& customer,
                         sys_ms now) {
  auto draft = new_invoice(id, 0, customer, now);
  for (const char* k : invoice_only)
    draft.erase(k);
  return draft;
}

nlohmann::json invoice_from_draft(const nlohmann::json& draft,
                                  const std::string& id, int64_t number,
                                  sys_ms now) {
  auto inv = invoice_defaults();
  for (const auto& [k, v] : draft.items())
    inv[k] = v;
  inv["Id"] = id;
  inv["InvoiceNumber"] = number;
  inv["RemainingAmount"] = inv["TotalAmount"];
  inv["RemainingAmountInvoiceCurrency"] = inv["TotalAmount"];
  inv["CreatedUtc"] = format_utc(now, true);
  inv["ModifiedUtc"] = inv["CreatedUtc"];
  return inv;
}

void set_rows(nlohmann::json& invoice, const nlohmann::json& rows,
              const std::function<std::string()>& make_guid) {
  static const auto tmpl = nlohmann::json::parse(row_template);
  auto out = nlohmann::json::array();
  int line = 1;
  for (const auto& r : rows) {
    auto row = tmpl;
    for (const auto& [k, v] : r.items())
      row[k] = v;
    row["Id"] = make_guid();
    row["LineNumber"] = line++;
    out.push_back(std::move(row));
  }
  invoice["Rows"] = std::move(out);
  recompute_totals(invoice);
}

void recompute_totals(nlohmann::json& invoice) {
  int64_t net = 0;
  int64_t vat = 0;
  for (auto& row : invoice["Rows"]) {
    double price = lenient_number(row["UnitPrice"], 0);
    double qty = lenient_number(row["Quantity"], 0);
    double discount = lenient_number(row["DiscountPercentage"], 0);
    // DiscountPercentage is a fraction ("4 decimals"), like PercentVat.
    auto amount = line_cents(price, qty, scaled(discount, 6));
    row["AmountNoVat"] = to_amount(amount);
    net += amount;
    if (!row.value("IsVatFree", false))
      vat += round_div(
        amount * scaled(lenient_number(row["PercentVat"], 0.25), 4), 10'000);
  }
  double sign = invoice.value("IsCreditInvoice", false) ? -1.0 : 1.0;
  invoice["TotalAmount"] = sign * to_amount(net + vat);
  invoice["TotalVatAmount"] = sign * to_amount(vat);
  invoice["TotalAmountInvoiceCurrency"] = invoice["TotalAmount"];
  invoice["TotalVatAmountInvoiceCurrency"] = invoice["TotalVatAmount"];
  set_if_present(invoice, "RemainingAmount", invoice["TotalAmount"]);
  set_if_present(invoice, "RemainingAmountInvoiceCurrency",
                 invoice["TotalAmount"]);
}

void round_total(nlohmann::json& invoice) {
  auto total = to_cents(lenient_number(invoice["TotalAmount"], 0));
  auto rounded = std::llround(static_cast<double>(total) / 100.0) * 100;
  invoice["TotalRoundings"] = to_amount(rounded - total);
  invoice["TotalAmount"] = to_amount(rounded);
  invoice["TotalAmountInvoiceCurrency"] = to_amount(rounded);
  for (const auto* key : {"RemainingAmount", "RemainingAmountInvoiceCurrency"})
    set_if_present(invoice, key, to_amount(rounded));
}

void set_modified(nlohmann::json& data, bool invoice, sys_ms t) {
  data[invoice ? "ModifiedUtc" : "ChangedUtc"] = format_utc(t, true);
}

nlohmann::json envelope(nlohmann::json data, std::size_t page,
                        std::size_t page_size, std::size_t total_pages,
                        std::size_t total, sys_ms now) {
  auto second = std::chrono::floor<std::chrono::seconds>(now);
  return {{"Meta",
           {{"CurrentPage", page},
            {"PageSize", page_size},
            {"TotalNumberOfPages", total_pages},
            {"TotalNumberOfResults", total},
            {"ServerTimeUtc", format_utc(sys_ms{second}, false)}}},
          {"Data", std::move(data)}};
}

nlohmann::json error(int code, const std::string& message,
                     const std::string& error_id, nlohmann::json errors) {
  return {{"ErrorCode", code},
          {"DeveloperErrorMessage", message},
          {"ErrorId", error_id},
          {"Errors", std::move(errors)}};
}

nlohmann::json field_error(const std::string& field, const std::string& code,
                           const std::string& message) {
  return {{"Field", field},
          {"ErrorCode", code},
          {"Message", message},
          {"Key", field}};
}

} // namespace ledgerd::sim::visma
