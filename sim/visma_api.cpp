#include "sim/visma_api.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <sstream>

#include "sim/pagination.hpp"
#include "sim/text_match.hpp"
#include "sim/visma_model.hpp"
#include "sim/visma_versions.hpp"

namespace ledgerd::sim {

namespace {

using json = nlohmann::json;

api_response not_found(world& w) {
  return visma_error(w, 404, 3000, "The requested resource was not found.");
}

api_response validation(world& w, const std::string& field,
                        const std::string& message) {
  return visma_error(
    w, 400, 2000, "Validation failed: " + message,
    json::array({visma::field_error(field, "RequiredField", message)}));
}

std::string query(const api_request& req, const char* key) {
  auto i = req.query.find(key);
  return i == req.query.end() ? "" : i->second;
}

/// A record filter of the list: "<Field> gt|ge|lt|le <date-time>" on the
/// list's time field `field`, or "<Field> eq '<text>'" (OData string
/// literal, '' for a quote) on any string field of the records.
using record_filter = std::function<bool(const record&)>;

std::optional<std::string> odata_string(std::string_view x) {
  if (x.size() < 2 || x.front() != '\'' || x.back() != '\'')
    return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < x.size(); ++i) {
    out += x[i];
    if (x[i] == '\'' && x[i + 1] == '\'')
      ++i;
  }
  return out;
}

std::optional<record_filter>
parse_filter(const std::string& filter, const std::string& field, bool loose) {
  std::istringstream in{filter};
  std::string name, op;
  if (!(in >> name >> op))
    return std::nullopt;
  std::string value;
  std::getline(in >> std::ws, value);
  if (op == "eq") {
    auto text = odata_string(value);
    if (!text)
      return std::nullopt;
    return [name, want = *text, loose](const record& r) {
      auto i = r.data.find(name);
      if (i == r.data.end() || !i->is_string())
        return false;
      // The loose_search fault: eq as a case-insensitive substring match.
      return loose ? contains_ci(i->get<std::string>(), want) : *i == want;
    };
  }
  if (name != field)
    return std::nullopt;
  auto t = parse_utc(value);
  if (!t)
    return std::nullopt;
  auto at = *t;
  auto cmp = [op](sys_ms m, sys_ms at) -> std::optional<bool> {
    if (op == "gt")
      return m > at;
    if (op == "ge")
      return m >= at;
    if (op == "lt")
      return m < at;
    if (op == "le")
      return m <= at;
    return std::nullopt;
  };
  if (!cmp(at, at))
    return std::nullopt;
  return [cmp, at](const record& r) {
    return *cmp(r.modified, at);
  };
}

std::optional<std::size_t> number(const std::string& s, std::size_t dflt) {
  if (s.empty())
    return dflt;
  try {
    std::size_t used = 0;
    auto v = std::stoll(s, &used);
    if (used != s.size() || v < 1)
      return std::nullopt;
    return static_cast<std::size_t>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// A list item as the `visma.list_items=summary` quirk renders it: without
/// the keys a summary plausibly leaves out. v3 renames come after, so v2
/// names cover both.
json summary_of(const json& record) {
  static constexpr std::array<const char*, 8> left_out{"Rows",
                                                       "EmailAddress",
                                                       "Telephone",
                                                       "Note",
                                                       "YourReference",
                                                       "OurReference",
                                                       "ElectronicReference",
                                                       "ExternalReference"};
  json out = record;
  for (const auto* key : left_out)
    out.erase(key);
  return out;
}

/// $page (1-based), $pagesize (default 50, at most 500), $filter on
/// `field` and, for invoices, modifiedSinceUtc.
api_response list(world& w, const record_store& store, const api_request& req,
                  const std::string& field, bool invoices) {
  auto page = number(query(req, "$page"), 1);
  auto size = number(query(req, "$pagesize"), 50);
  if (!page || !size || *page > 1'000'000)
    return visma_error(w, 400, 2000, "Invalid paging parameters.");
  *size = std::min(*size, w.options.quirks.visma_max_pagesize());
  std::vector<record_filter> keep;
  if (auto f = query(req, "$filter"); !f.empty()) {
    auto pred = parse_filter(f, field, w.loose_search());
    if (!pred)
      return visma_error(w, 400, 2000, "The $filter is not supported: " + f);
    keep.push_back(*pred);
  }
  if (auto s = query(req, "modifiedSinceUtc"); invoices && !s.empty()) {
    auto t = parse_utc(s);
    if (!t)
      return validation(w, "modifiedSinceUtc", "Invalid date-time.");
    keep.push_back([at = *t](const record& r) {
      return r.modified >= at;
    });
  }
  auto lag = w.search_lag();
  auto visible_from = w.now() - lag;
  bool lagging = lag.count() > 0 && !keep.empty();
  std::vector<const record*> hits;
  for (const auto* r : store.all())
    if (std::all_of(keep.begin(), keep.end(),
                    [&](const auto& k) {
                      return k(*r);
                    })
        && (!lagging || r->created <= visible_from))
      hits.push_back(r);
  auto slice = paginate(hits.size(), *page, *size);
  auto data = json::array();
  bool summary = w.options.quirks.visma_summary_list_items();
  for (std::size_t i = 0; i < slice.count; ++i)
    data.push_back(summary ? summary_of(hits[slice.first + i]->data)
                           : hits[slice.first + i]->data);
  return api_response::of(200, visma::envelope(std::move(data), *page, *size,
                                               slice.total_pages, hits.size(),
                                               w.now()));
}

std::optional<json> body_object(const api_request& req) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return std::nullopt;
  return body;
}

/// Copies known, writable fields; Visma ignores unknown ones.
void merge(json& out, const json& in,
           std::initializer_list<const char*> read_only) {
  for (const auto& [k, v] : in.items()) {
    bool ro = std::find_if(read_only.begin(), read_only.end(),
                           [&](auto x) {
                             return k == x;
                           })
              != read_only.end();
    if (!ro && out.contains(k))
      out[k] = v;
  }
}

// --- customers ------------------------------------------------------------

constexpr std::initializer_list<const char*> customer_read_only
  = {"Id", "ChangedUtc", "TermsOfPayment"};

api_response create_customer(world& w, tenant& t, const api_request& req) {
  auto in = body_object(req);
  if (!in)
    return visma_error(w, 400, 2000, "The request body is not valid JSON.");
  if (!in->contains("Name") || !(*in)["Name"].is_string()
      || (*in)["Name"].get<std::string>().empty())
    return validation(w, "Name", "Name is required.");
  // Required by the API's schema (CustomerApi): no default is filled in.
  if (!(*in)["TermsOfPaymentId"].is_string())
    return validation(w, "TermsOfPaymentId", "TermsOfPaymentId is required.");
  auto id = w.make_guid();
  // Null or absent: the next number is assigned.
  auto given = in->find("CustomerNumber");
  std::string number = given != in->end() && given->is_string()
                         ? given->get<std::string>()
                         : std::string{};
  if (number.empty())
    number = std::to_string(t.next_customer++);
  auto now = w.now();
  auto data = visma::new_customer(id, number, now);
  merge(data, *in, customer_read_only);
  data["CustomerNumber"] = number;
  auto& r = t.customers.insert(id, std::move(data), now);
  auto res = api_response::of(201, r.data);
  res.created = true;
  return res;
}

api_response update_customer(world& w, const api_request& req, record& r) {
  auto in = body_object(req);
  if (!in)
    return visma_error(w, 400, 2000, "The request body is not valid JSON.");
  auto data = r.data;
  merge(data, *in, customer_read_only);
  if (!data["Name"].is_string() || data["Name"].get<std::string>().empty())
    return validation(w, "Name", "Name is required.");
  r.data = std::move(data);
  r.modified = w.now();
  visma::set_modified(r.data, false, r.modified);
  return api_response::of(200, r.data);
}

api_response delete_customer(world& w, tenant& t, const std::string& id) {
  for (const auto* inv : t.invoices.all())
    if (inv->data.value("CustomerId", "") == id)
      return visma_error(w, 400, 4001,
                         "The customer has linked transactions and can not "
                         "be deleted. Set IsActive to false instead.");
  t.customers.erase(id);
  return api_response::empty(204);
}

api_response customers(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.size() == 3) {
    if (req.method == "GET")
      return list(w, t.customers, req, "ChangedUtc", false);
    if (req.method == "POST")
      return create_customer(w, t, req);
    return visma_error(w, 405, 2000, "Method not allowed.");
  }
  auto* r = seg.size() == 4 ? t.customers.find(seg[3]) : nullptr;
  if (!r)
    return not_found(w);
  if (req.method == "GET")
    return api_response::of(200, r->data);
  if (req.method == "PUT")
    return update_customer(w, req, *r);
  if (req.method == "DELETE")
    return delete_customer(w, t, r->id);
  return visma_error(w, 405, 2000, "Method not allowed.");
}

// --- customer invoices and drafts ---------------------------------------

/// Fields of an invoice or draft a client may not write: ids, numbers,
/// times and totals come from the simulator, CustomerNumber from CustomerId.
constexpr std::initializer_list<const char*> invoice_read_only
  = {"Id",
     "InvoiceNumber",
     "Rows",
     "CreatedUtc",
     "ModifiedUtc",
     "TotalAmount",
     "TotalVatAmount",
     "TotalRoundings",
     "RemainingAmount",
     "RemainingAmountInvoiceCurrency",
     "CustomerNumber"};

/// An invoice or draft write body, or the 400 that refuses it.
struct invoice_body {
  json in;
  const record* customer = nullptr;
  std::optional<api_response> error;
};

/// A JSON object with Rows; its CustomerId (else `current`'s) must name a
/// customer of `t`.
invoice_body parse_invoice_body(world& w, tenant& t, const api_request& req,
                                const json* current = nullptr) {
  invoice_body b;
  auto in = body_object(req);
  if (!in) {
    b.error = visma_error(w, 400, 2000, "The request body is not valid JSON.");
    return b;
  }
  b.in = std::move(*in);
  auto customer_id = b.in.value(
    "CustomerId", current ? current->value("CustomerId", "") : std::string{});
  b.customer = t.customers.find(customer_id);
  if (!b.customer)
    b.error = validation(w, "CustomerId", "A valid CustomerId is required.");
  else if (!b.in.contains("Rows") || !b.in["Rows"].is_array())
    b.error = validation(w, "Rows", "Rows is required.");
  return b;
}

/// Writes the body's fields and rows into `data`; totals follow the rows
/// (rounded when Visma rounds, world::visma_rounds_totals), never the body.
void apply_invoice_body(world& w, json& data, const invoice_body& b) {
  merge(data, b.in, invoice_read_only);
  data["CustomerNumber"] = b.customer->data.at("CustomerNumber");
  data["TotalRoundings"] = 0.0;
  visma::set_rows(data, b.in["Rows"], [&] {
    return w.make_guid();
  });
  if (w.visma_rounds_totals())
    visma::round_total(data);
}

api_response created(const record& r) {
  auto res = api_response::of(201, r.data);
  res.created = true;
  return res;
}

api_response create_invoice(world& w, tenant& t, const api_request& req) {
  auto b = parse_invoice_body(w, t, req);
  if (b.error)
    return *b.error;
  auto id = w.make_guid();
  auto now = w.now();
  auto data = visma::new_invoice(id, static_cast<int64_t>(t.next_invoice++),
                                 b.customer->data, now);
  apply_invoice_body(w, data, b);
  return created(t.invoices.insert(id, std::move(data), now));
}

api_response create_draft(world& w, tenant& t, const api_request& req) {
  auto b = parse_invoice_body(w, t, req);
  if (b.error)
    return *b.error;
  auto id = w.make_guid();
  auto now = w.now();
  auto data = visma::new_draft(id, b.customer->data, now);
  apply_invoice_body(w, data, b);
  return created(t.drafts.insert(id, std::move(data), now));
}

/// PUT /v2/customerinvoicedrafts/{id}: the body's writable fields and its
/// rows replace the draft's, as a create would set them.
api_response update_draft(world& w, tenant& t, const api_request& req,
                          record& r) {
  auto b = parse_invoice_body(w, t, req, &r.data);
  if (b.error)
    return *b.error;
  auto data = r.data;
  apply_invoice_body(w, data, b);
  r.data = std::move(data);
  r.modified = w.now();
  visma::set_modified(r.data, true, r.modified);
  return api_response::of(200, r.data);
}

api_response drafts(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.size() == 3) {
    if (req.method == "GET")
      return list(w, t.drafts, req, "ModifiedUtc", true);
    if (req.method == "POST")
      return create_draft(w, t, req);
    return visma_error(w, 405, 2000, "Method not allowed.");
  }
  auto* r = seg.size() <= 5 ? t.drafts.find(seg[3]) : nullptr;
  if (!r)
    return not_found(w);
  if (seg.size() == 5)
    return seg[4] == "convert" && req.method == "POST"
             ? convert_draft(w, t, *r)
             : visma_error(w, 405, 2000, "Method not allowed.");
  if (req.method == "GET")
    return api_response::of(200, r->data);
  if (req.method == "PUT")
    return update_draft(w, t, req, *r);
  if (req.method == "DELETE") {
    t.drafts.erase(std::string{r->id}); // a copy: erase destroys *r
    return api_response::empty(204);
  }
  return visma_error(w, 405, 2000, "Method not allowed.");
}

} // namespace

/// POST /v2/customerinvoicedrafts/{id}/convert: the draft becomes a
/// customer invoice (new Id, next InvoiceNumber) and is gone.
api_response convert_draft(world& w, tenant& t, const record& draft) {
  if (!t.customers.find(draft.data.value("CustomerId", "")))
    return validation(w, "CustomerId", "A valid CustomerId is required.");
  auto id = w.make_guid();
  auto now = w.now();
  auto data = visma::invoice_from_draft(
    draft.data, id, static_cast<int64_t>(t.next_invoice++), now);
  auto draft_id = draft.id; // erase destroys `draft`
  t.drafts.erase(draft_id);
  auto& r = t.invoices.insert(id, std::move(data), now);
  // A write that made a record, like void: drop_response_after_write
  // applies, not drop_response_after_create.
  return api_response::of(200, r.data);
}

/// Voids an invoice: it is settled by a credit invoice that refers to it
/// (our reading of "void"; the API documents no visible voided flag).
api_response void_invoice(world& w, tenant& t, record& r) {
  if (r.data.value("IsCreditInvoice", false)
      || r.data.value("RemainingAmount", 0.0) == 0.0)
    return visma_error(w, 400, 4002,
                       "The invoice can't have any payments or prior credit "
                       "relationships.");
  auto now = w.now();
  auto credit = r.data;
  credit["Id"] = w.make_guid();
  credit["InvoiceNumber"] = static_cast<int64_t>(t.next_invoice++);
  credit["IsCreditInvoice"] = true;
  credit["ReferringInvoiceId"] = r.id;
  credit["CreatedUtc"] = format_utc(now, true);
  credit["ModifiedUtc"] = credit["CreatedUtc"];
  visma::recompute_totals(credit);
  credit["RemainingAmount"] = 0.0;
  credit["RemainingAmountInvoiceCurrency"] = 0.0;
  std::string credit_id = credit["Id"];
  t.invoices.insert(credit_id, std::move(credit), now);
  r.data["RemainingAmount"] = 0.0;
  r.data["RemainingAmountInvoiceCurrency"] = 0.0;
  r.modified = now;
  visma::set_modified(r.data, true, now);
  return api_response::of(200, r.data);
}

namespace {

api_response invoices(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.size() == 3) {
    if (req.method == "GET")
      return list(w, t.invoices, req, "ModifiedUtc", true);
    if (req.method == "POST")
      return create_invoice(w, t, req);
    return visma_error(w, 405, 2000, "Method not allowed.");
  }
  auto* r = seg.size() <= 5 ? t.invoices.find(seg[3]) : nullptr;
  if (!r)
    return not_found(w);
  if (seg.size() == 5 && seg[4] == "void" && req.method == "POST")
    return void_invoice(w, t, *r);
  if (seg.size() == 4 && req.method == "GET")
    return api_response::of(200, r->data);
  return visma_error(w, 405, 2000, "Method not allowed.");
}

} // namespace

std::string visma_foreign_create(world& w, tenant& t, const std::string& kind,
                                 const std::string& reference) {
  auto now = w.now();
  if (kind == "customers") {
    auto id = w.make_guid();
    auto number = std::to_string(t.next_customer++);
    auto data = visma::new_customer(id, number, now);
    data["Name"] = "Kund inlagd manuellt " + number;
    if (!reference.empty())
      data["Note"] = reference;
    data["InvoiceCity"] = "Oslo";
    data["InvoicePostalCode"] = "0150";
    t.customers.insert(id, std::move(data), now);
    return id;
  }
  auto customers = t.customers.all();
  bool draft = kind == "customerinvoicedrafts";
  if ((kind != "customerinvoices" && !draft) || customers.empty())
    return {};
  auto id = w.make_guid();
  const auto& customer = customers.front()->data;
  auto data = draft
                ? visma::new_draft(id, customer, now)
                : visma::new_invoice(id, static_cast<int64_t>(t.next_invoice++),
                                     customer, now);
  visma::set_rows(
    data,
    json::array(
      {{{"Text", "Manuell rad"}, {"Quantity", 1}, {"UnitPrice", 100}}}),
    [&] {
      return w.make_guid();
    });
  if (!reference.empty())
    data["ElectronicReference"] = reference;
  (draft ? t.drafts : t.invoices).insert(id, std::move(data), now);
  return id;
}

api_response visma_error(world& w, int status, int code,
                         const std::string& message, nlohmann::json errors) {
  return api_response::of(
    status, visma::error(code, message, w.make_guid(), std::move(errors)));
}

namespace {

api_response serve(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments; // "visma", "v2", kind, ...
  if (seg.size() >= 3 && seg[2] == "customers" && seg.size() <= 4)
    return customers(w, t, req);
  if (seg.size() >= 3 && seg[2] == "customerinvoices")
    return invoices(w, t, req);
  if (seg.size() >= 3 && seg[2] == "customerinvoicedrafts")
    return drafts(w, t, req);
  return not_found(w);
}

/// `req` of API version `v` in the store's names (visma_versions.hpp): its
/// body and the field a $filter names.
api_request in_store_names(visma::api_version v, const api_request& req) {
  auto out = req;
  // v2 bodies are parsed again only when they may carry a v3 key.
  bool rewrite = v != visma::api_version::v2
                 || req.body.find("ExternalReference") != std::string::npos;
  if (auto body = json::parse(req.body, nullptr, false);
      rewrite && !body.is_discarded()) {
    visma::to_store(v, body);
    out.body = body.dump();
  }
  if (auto f = out.query.find("$filter"); f != out.query.end()) {
    auto space = f->second.find(' ');
    auto name = f->second.substr(0, space);
    auto rest = space == std::string::npos ? "" : f->second.substr(space);
    f->second = visma::stored_name(v, name) + rest;
  }
  return out;
}

} // namespace

api_response visma_api(world& w, tenant& t, const api_request& req) {
  auto v = visma::parse_version(req.segments.at(1));
  auto version = v.value_or(visma::api_version::v2);
  auto res = serve(w, t, in_store_names(version, req));
  if (res.json)
    visma::to_served(version, *res.json);
  return res;
}

} // namespace ledgerd::sim
