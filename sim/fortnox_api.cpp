#include "sim/fortnox_api.hpp"

#include <algorithm>
#include <functional>
#include <sstream>

#include "sim/fortnox_model.hpp"
#include "sim/money.hpp"
#include "sim/pagination.hpp"
#include "sim/text_match.hpp"

namespace ledgerd::sim {

namespace {

using json = nlohmann::json;

api_response fail(int status, int code, const std::string& message) {
  // The recorded 404s use Capitalized keys, the 400s lower-case ones.
  return api_response::of(status, fortnox::error(code, message, status == 404));
}

api_response bad_parameter() {
  return fail(400, 2000588, "Ogiltig parameter i anropet.");
}

api_response customer_not_found() {
  return fail(404, 2000433, "Kan inte hitta kunden.");
}

api_response invoice_not_found() {
  return fail(404, 2000434, "Kan inte hitta fakturan.");
}

std::string base_url(const api_request& req) {
  return "http://" + req.host + "/fortnox/3";
}

std::string query(const api_request& req, const char* key) {
  auto i = req.query.find(key);
  return i == req.query.end() ? "" : i->second;
}

std::optional<std::size_t> positive(const std::string& s, std::size_t max) {
  try {
    std::size_t used = 0;
    auto v = std::stoll(s, &used);
    if (used != s.size() || v < 1 || static_cast<std::size_t>(v) > max)
      return std::nullopt;
    return static_cast<std::size_t>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// limit (default 100, at most the max_limit quirk), page (1-based) and
/// lastmodified (its seconds per the lastmodified_seconds quirk).
struct list_params {
  std::size_t limit = 100;
  std::size_t page = 1;
  std::optional<sys_ms> since;
};

std::optional<list_params> parse_list(const world& w, const api_request& req) {
  const auto& q = w.options.quirks;
  list_params p;
  if (auto s = query(req, "limit"); !s.empty()) {
    auto v = positive(s, 1'000'000);
    if (!v || (*v > q.fortnox_max_limit() && !q.fortnox_over_limit_clamped()))
      return std::nullopt;
    p.limit = std::min(*v, q.fortnox_max_limit());
  }
  if (auto s = query(req, "page"); !s.empty()) {
    auto v = positive(s, 1'000'000);
    if (!v)
      return std::nullopt;
    p.page = *v;
  }
  if (auto s = query(req, "lastmodified"); !s.empty()) {
    p.since = parse_stockholm_wall(s, q.fortnox_lastmodified_fold_later());
    if (!p.since)
      return std::nullopt;
    if (!q.fortnox_lastmodified_seconds())
      p.since = std::chrono::floor<std::chrono::minutes>(*p.since);
  }
  return p;
}

std::string field(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : "";
}

using predicate = std::function<bool(const record&)>;

/// True when the request filters (search parameters or lastmodified): the
/// part of a list that search_lag_ms delays.
bool filtered(const api_request& req) {
  for (const auto& [k, v] : req.query)
    if (!v.empty() && k != "limit" && k != "page" && k != "offset"
        && k != "sortby" && k != "sortorder")
      return true;
  return false;
}

api_response list(world& w, const api_request& req, const record_store& store,
                  const list_params& p, const predicate& keep,
                  const char* plural,
                  const std::function<json(const record&)>& item) {
  auto lag = w.search_lag();
  auto visible_from = w.now() - lag;
  bool lagging = lag.count() > 0 && filtered(req);
  // Fortnox keeps whole seconds [I]: "exactly at" is within the second.
  bool inclusive = w.options.quirks.fortnox_lastmodified_inclusive();
  auto after_since = [&](const record& r) {
    auto m = std::chrono::floor<std::chrono::seconds>(r.modified);
    return !p.since || (inclusive ? m >= *p.since : m > *p.since);
  };
  std::vector<const record*> hits;
  for (const auto* r : store.all())
    if (after_since(*r) && keep(*r) && (!lagging || r->created <= visible_from))
      hits.push_back(r);
  auto slice = paginate(hits.size(), p.page, p.limit);
  if (w.options.quirks.fortnox_page_past_end_404()
      && p.page > std::max<std::size_t>(slice.total_pages, 1))
    return fail(404, 2000588, "Sidan finns inte.");
  auto items = json::array();
  for (std::size_t i = 0; i < slice.count; ++i)
    items.push_back(item(*hits[slice.first + i]));
  return api_response::of(200, {{"MetaInformation",
                                 {{"@TotalResources", hits.size()},
                                  {"@TotalPages", slice.total_pages},
                                  {"@CurrentPage", p.page}}},
                                {plural, std::move(items)}});
}

/// Parses {"<wrapper>":{...}}; nullopt for anything else.
std::optional<json> unwrap(const api_request& req, const char* wrapper) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains(wrapper)
      || !body[wrapper].is_object())
    return std::nullopt;
  return body[wrapper];
}

api_response bad_body() {
  return fail(400, 2001392, "Ogiltig eller tom body i anropet.");
}

/// Copies writable fields of `in` into `out`. Unknown fields are refused
/// as Fortnox does (2001399); "@..." and read-only keys are ignored.
std::optional<api_response> merge(json& out, const json& in,
                                  std::initializer_list<const char*> ignored) {
  for (const auto& [k, v] : in.items()) {
    if (k.empty() || k[0] == '@'
        || std::find_if(ignored.begin(), ignored.end(), [&](const char* x) {
             return k == x;
           }) != ignored.end())
      continue;
    if (!out.contains(k))
      return fail(400, 2001399, "Ogiltigt fältnamn: " + k + ".");
    out[k] = v;
  }
  return std::nullopt;
}

// --- customers --------------------------------------------------------

api_response list_customers(world& w, tenant& t, const api_request& req) {
  auto p = parse_list(w, req);
  if (!p)
    return bad_parameter();
  auto number = query(req, "customernumber");
  auto name = query(req, "name");
  auto filter = query(req, "filter");
  if (!filter.empty() && filter != "active" && filter != "inactive")
    return fail(400, 2000587, "Ett ogiltigt filter har använts.");
  auto keep = [&](const record& r) {
    if (!filter.empty() && r.data.value("Active", true) != (filter == "active"))
      return false;
    return contains_ci(field(r.data, "CustomerNumber"), number)
           && contains_ci(field(r.data, "Name"), name);
  };
  auto base = base_url(req);
  return list(w, req, t.customers, *p, keep, "Customers", [&](const record& r) {
    return fortnox::with_urls(fortnox::customer_list_item(r.data), base,
                              "customers", r.id);
  });
}

api_response customer_reply(int status, const api_request& req,
                            const record& r) {
  return api_response::of(
    status, {{"Customer",
              fortnox::with_urls(r.data, base_url(req), "customers", r.id)}});
}

api_response create_customer(world& w, tenant& t, const api_request& req) {
  auto in = unwrap(req, "Customer");
  if (!in)
    return bad_body();
  std::string number = field(*in, "CustomerNumber");
  if (!number.empty() && t.customers.ever_used(number))
    return fail(400, 2000637, "Kundnummer " + number + " används redan.");
  if (field(*in, "Name").empty())
    return fail(400, 2000359, "Kunden måste ha ett namn.");
  while (number.empty() || t.customers.ever_used(number))
    number = std::to_string(t.next_customer++);
  auto data = fortnox::new_customer(number);
  if (auto err = merge(data, *in, {"CustomerNumber"}))
    return *err;
  auto& r = t.customers.insert(number, std::move(data), w.now());
  w.publish(t, "customers", r.id, "customer-created-v1");
  auto res = customer_reply(201, req, r);
  res.headers.emplace_back("Location", "customers");
  res.created = true;
  return res;
}

api_response update_customer(world& w, tenant& t, const api_request& req,
                             record& r) {
  auto in = unwrap(req, "Customer");
  if (!in)
    return bad_body();
  auto data = r.data;
  if (auto err = merge(data, *in, {"CustomerNumber"}))
    return *err;
  r.data = std::move(data);
  w.touch(t, "customers", r, "customer-updated-v2");
  return customer_reply(200, req, r);
}

api_response customers(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.size() == 3) {
    if (req.method == "GET")
      return list_customers(w, t, req);
    if (req.method == "POST")
      return create_customer(w, t, req);
    return fail(405, 2000588, "Metoden stöds inte.");
  }
  auto* r = seg.size() == 4 ? t.customers.find(seg[3]) : nullptr;
  if (!r)
    return customer_not_found();
  if (req.method == "GET")
    return customer_reply(200, req, *r);
  if (req.method == "PUT")
    return update_customer(w, t, req, *r);
  if (req.method == "DELETE") {
    auto id = r->id;
    t.customers.erase(id);
    w.publish(t, "customers", id, "customer-deleted-v1");
    return api_response::empty(204);
  }
  return fail(405, 2000588, "Metoden stöds inte.");
}

// --- invoices -----------------------------------------------------------

bool invoice_filter(const json& inv, const std::string& filter, sys_ms now) {
  bool cancelled = inv.value("Cancelled", false);
  bool paid = inv.value("Balance", 0.0) == 0.0;
  if (filter == "cancelled")
    return cancelled;
  if (filter == "unbooked")
    return !cancelled && !inv.value("Booked", false);
  if (filter == "fullypaid")
    return !cancelled && paid;
  if (filter == "unpaid")
    return !cancelled && !paid;
  // unpaidoverdue
  auto today = format_stockholm_wall(now).substr(0, 10);
  return !cancelled && !paid && field(inv, "DueDate") < today;
}

api_response list_invoices(world& w, tenant& t, const api_request& req) {
  auto p = parse_list(w, req);
  if (!p)
    return bad_parameter();
  auto filter = query(req, "filter");
  if (!filter.empty() && filter != "cancelled" && filter != "fullypaid"
      && filter != "unpaid" && filter != "unpaidoverdue"
      && filter != "unbooked")
    return fail(400, 2000587, "Ett ogiltigt filter har använts.");
  auto number = query(req, "customernumber");
  auto doc = query(req, "documentnumber");
  auto ext = query(req, "externalinvoicereference1");
  auto keep = [&](const record& r) {
    return (filter.empty() || invoice_filter(r.data, filter, w.now()))
           && contains_ci(field(r.data, "CustomerNumber"), number)
           && contains_ci(field(r.data, "DocumentNumber"), doc)
           && contains_ci(field(r.data, "ExternalInvoiceReference1"), ext);
  };
  auto base = base_url(req);
  return list(w, req, t.invoices, *p, keep, "Invoices", [&](const record& r) {
    return fortnox::with_urls(fortnox::invoice_list_item(r.data), base,
                              "invoices", r.id);
  });
}

api_response invoice_reply(int status, const api_request& req,
                           const record& r) {
  return api_response::of(
    status,
    {{"Invoice", fortnox::with_urls(r.data, base_url(req), "invoices", r.id)}});
}

/// Fields a client may not set; totals are recomputed from the rows.
constexpr std::initializer_list<const char*> invoice_read_only
  = {"DocumentNumber", "Booked", "Cancelled", "InvoiceRows", "Total",
     "TotalVAT",       "Net",    "Gross",     "Balance",     "TotalToPay"};

api_response create_invoice(world& w, tenant& t, const api_request& req) {
  auto in = unwrap(req, "Invoice");
  if (!in)
    return bad_body();
  const auto* customer = t.customers.find(field(*in, "CustomerNumber"));
  if (!customer)
    return fail(400, 2000433,
                "Kan inte hitta kunden \"" + field(*in, "CustomerNumber")
                  + "\".");
  auto number = std::to_string(t.next_invoice++);
  auto data = fortnox::new_invoice(number, customer->data, w.now());
  if (auto err = merge(data, *in, invoice_read_only))
    return *err;
  fortnox::set_rows(data, in->value("InvoiceRows", json::array()), t.next_row);
  if (w.faults.round_totals())
    fortnox::round_off_total(data);
  auto& r = t.invoices.insert(number, std::move(data), w.now());
  w.publish(t, "invoices", r.id, "invoice-created-v1");
  auto res = invoice_reply(201, req, r);
  res.headers.emplace_back("Location", "invoices");
  res.created = true;
  return res;
}

std::optional<api_response> refuse_cancelled(const record& r) {
  if (r.data.value("Cancelled", false))
    return fail(400, 2000065, "Fakturan är makulerad och kan inte ändras.");
  return std::nullopt;
}

std::optional<api_response> refuse_locked(const record& r) {
  if (auto err = refuse_cancelled(r))
    return err;
  if (r.data.value("Booked", false))
    return fail(400, 2000064, "Fakturan är bokförd och kan inte ändras.");
  return std::nullopt;
}

api_response update_invoice(world& w, tenant& t, const api_request& req,
                            record& r) {
  if (auto err = refuse_locked(r))
    return *err;
  auto in = unwrap(req, "Invoice");
  if (!in)
    return bad_body();
  auto data = r.data;
  if (auto err = merge(data, *in, invoice_read_only))
    return *err;
  if (in->contains("InvoiceRows"))
    fortnox::set_rows(data, (*in)["InvoiceRows"], t.next_row);
  fortnox::recompute_totals(data);
  if (w.faults.round_totals())
    fortnox::round_off_total(data);
  r.data = std::move(data);
  w.touch(t, "invoices", r, "invoice-updated-v1");
  return invoice_reply(200, req, r);
}

/// PUT .../credit: a new, unbooked credit invoice negates every row of a
/// booked one; the answer is the original, which now refers to its credit.
api_response credit_invoice(world& w, tenant& t, const api_request& req,
                            record& r) {
  if (auto err = refuse_cancelled(r))
    return *err;
  if (!r.data.value("Booked", false))
    return fail(400, 2000066,
                "Fakturan måste vara bokförd för att kunna krediteras.");
  // "0" (a string) means not credited; tolerate a number patched in.
  auto ref = r.data.value("CreditInvoiceReference", json("0"));
  if (lenient_number(ref, 0) != 0)
    return fail(400, 2000067, "Fakturan är redan krediterad.");
  auto number = std::to_string(t.next_invoice++);
  auto data = fortnox::credit_invoice(
    r.data, number, w.faults.credit_copies_reference(), t.next_row);
  if (w.faults.round_totals())
    fortnox::round_off_total(data);
  auto& credit = t.invoices.insert(number, std::move(data), w.now());
  w.publish(t, "invoices", credit.id, "invoice-created-v1");
  r.data["CreditInvoiceReference"] = credit.id;
  w.touch(t, "invoices", r, "invoice-updated-v1");
  return invoice_reply(200, req, r);
}

/// PUT .../externalprint: marks the invoice sent without sending it; a
/// booked invoice may be marked too.
api_response external_print(world& w, tenant& t, const api_request& req,
                            record& r) {
  if (auto err = refuse_cancelled(r))
    return *err;
  r.data["Sent"] = true;
  w.touch(t, "invoices", r, "invoice-updated-v1");
  return invoice_reply(200, req, r);
}

api_response invoice_action(world& w, tenant& t, const api_request& req,
                            record& r, const std::string& action) {
  if (req.method != "PUT")
    return fail(405, 2000588, "Metoden stöds inte.");
  if (action == "credit")
    return credit_invoice(w, t, req, r);
  if (action == "externalprint")
    return external_print(w, t, req, r);
  if (action != "cancel" && action != "bookkeep")
    return fail(404, 2000588, "Ogiltig åtgärd.");
  if (auto err = refuse_locked(r))
    return *err;
  if (action == "cancel") {
    r.data["Cancelled"] = true;
    w.touch(t, "invoices", r, "invoice-cancelled-v1");
  } else {
    r.data["Booked"] = true;
    r.data["VoucherSeries"] = "B";
    r.data["VoucherNumber"] = std::stoll(r.id);
    r.data["VoucherYear"] = 1;
    w.touch(t, "invoices", r, "invoice-updated-v1");
  }
  return invoice_reply(200, req, r);
}

api_response invoices(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments;
  if (seg.size() == 3) {
    if (req.method == "GET")
      return list_invoices(w, t, req);
    if (req.method == "POST")
      return create_invoice(w, t, req);
    return fail(405, 2000588, "Metoden stöds inte.");
  }
  auto* r = seg.size() <= 5 ? t.invoices.find(seg[3]) : nullptr;
  if (!r)
    return invoice_not_found();
  if (seg.size() == 5)
    return invoice_action(w, t, req, *r, seg[4]);
  if (req.method == "GET")
    return invoice_reply(200, req, *r);
  if (req.method == "PUT")
    return update_invoice(w, t, req, *r);
  return fail(405, 2000588, "Metoden stöds inte.");
}

} // namespace

std::string fortnox_foreign_create(world& w, tenant& t, const std::string& kind,
                                   const std::string& reference) {
  auto now = w.now();
  if (kind == "customers") {
    std::string number;
    while (number.empty() || t.customers.ever_used(number))
      number = std::to_string(t.next_customer++);
    auto data = fortnox::new_customer(number);
    data["Name"] = "Kund inlagd manuellt " + number;
    if (!reference.empty())
      data["ExternalReference"] = reference;
    auto& r = t.customers.insert(number, std::move(data), now);
    w.publish(t, "customers", r.id, "customer-created-v1");
    return std::string{r.id};
  }
  auto customers = t.customers.all();
  if (kind != "invoices" || customers.empty())
    return {};
  auto number = std::to_string(t.next_invoice++);
  auto data = fortnox::new_invoice(number, customers.front()->data, now);
  fortnox::set_rows(data,
                    json::array({{{"Description", "Manuell rad"},
                                  {"DeliveredQuantity", "1"},
                                  {"Price", 100}}}),
                    t.next_row);
  if (!reference.empty())
    data["ExternalInvoiceReference1"] = reference;
  auto& r = t.invoices.insert(number, std::move(data), now);
  w.publish(t, "invoices", r.id, "invoice-created-v1");
  return std::string{r.id};
}

api_response fortnox_api(world& w, tenant& t, const api_request& req) {
  const auto& seg = req.segments; // "fortnox", "3", kind, ...
  if (seg.size() >= 3 && seg[2] == "customers" && seg.size() <= 4)
    return customers(w, t, req);
  if (seg.size() >= 3 && seg[2] == "invoices")
    return invoices(w, t, req);
  return fail(404, 2000588, "Ogiltig sökväg.");
}

} // namespace ledgerd::sim
