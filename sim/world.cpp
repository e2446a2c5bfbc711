#include "sim/world.hpp"

#include <cstdio>

namespace ledgerd::sim {

world::world(sim_options opts)
  : options(std::move(opts))
  , rng(options.seed)
  , tokens(options.time_scale, options.seed)
  , limits(options.time_scale)
  , faults(options.seed, options.quirks.fortnox_credit_copies_reference()) {}

sys_ms world::now() const {
  return utc_now() + options.quirks.clock_offset();
}

bool world::admit_token_request(const std::string& provider,
                                const std::string& client_id) {
  auto limit = options.quirks.oauth_token_limit();
  if (limit == 0)
    return true;
  auto window = std::chrono::duration_cast<sliding_window::clock::duration>(
    std::chrono::duration<double>{60.0 / options.time_scale});
  auto [it, _]
    = token_windows.try_emplace(provider + "/" + client_id, limit, window);
  if (it->second.try_admit(sliding_window::clock::now()))
    return true;
  ++token_throttled;
  return false;
}

std::chrono::milliseconds world::search_lag() const {
  return std::max(faults.search_lag(), options.quirks.search_lag());
}

bool world::loose_search() const {
  return faults.loose_search() || options.quirks.visma_substring_filter();
}

bool world::visma_rounds_totals() const {
  return faults.round_totals() || options.quirks.visma_whole_totals();
}

std::string world::set_quirk(std::string_view name, std::string_view value) {
  auto err = options.quirks.set(name, value);
  if (err.empty() && name == "fortnox.credit_copies_reference")
    faults.set_credit_default(options.quirks.fortnox_credit_copies_reference());
  return err;
}

tenant* world::find_tenant(const std::string& key) {
  auto i = tenants.find(key);
  return i == tenants.end() ? nullptr : &i->second;
}

std::string world::make_guid() {
  return guid_from(rng);
}

std::string guid_from(std::mt19937_64& rng) {
  auto a = rng();
  auto b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void world::touch(tenant& t, const std::string& kind, record& r,
                  const std::string& type) {
  r.modified = now();
  publish(t, kind, r.id, type);
}

void world::publish(tenant& t, const std::string& kind, const std::string& id,
                    const std::string& type) {
  if (t.provider != "fortnox" || type.empty())
    return;
  const auto& ev = events.append(kind, type, t.tenant_id, id, now());
  if (on_event)
    on_event(ev);
}

void world::reset() {
  tenants.clear();
  tokens.clear();
  limits.clear();
  faults.configure(nlohmann::json::object());
  events.clear();
  requests_total = 0;
  token_windows.clear();
  token_throttled = 0;
}

} // namespace ledgerd::sim
