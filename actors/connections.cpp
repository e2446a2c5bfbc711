#include "actors/connections.hpp"

#include "actors/provider.hpp"
#include "actors/rate_limit_buckets.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/token_service.hpp"
#include "adapters/provider/registry.hpp"

#include <stdexcept>

namespace ledgerd {

namespace {

template<class Handle>
caf::actor recorded(actor_directory& dir, const char* name, Handle h) {
  dir.put(name, h);
  return caf::actor_cast<caf::actor>(h);
}

child_spec token_service_child(std::shared_ptr<const config::node_config> cfg,
                               std::shared_ptr<pg::pool> db,
                               std::shared_ptr<http::client> client,
                               std::shared_ptr<actor_directory> dir) {
  token_service_options opts;
  opts.store = std::make_shared<pg::credential_store>(
    std::move(db), cfg->database.acquire_timeout);
  opts.client = std::move(client);
  opts.config = std::move(cfg);
  return {"token_service", [opts, dir](caf::actor_system& sys) {
            // Detached: it blocks on PostgreSQL and the token endpoint.
            return recorded(*dir, token_service_name,
                            sys.spawn<caf::detached>(token_service, opts));
          }};
}

child_spec provider_child(std::shared_ptr<const config::node_config> cfg,
                          const config::tenant_config& tenant,
                          const config::connection_config& conn,
                          std::shared_ptr<http::client> client,
                          std::shared_ptr<actor_directory> dir) {
  auto name = std::string{config::to_string(conn.provider)};
  std::shared_ptr<const provider::adapter> adapter
    = provider::make_adapter(name, conn.base_url, conn.api_version);
  if (!adapter)
    throw std::invalid_argument("no adapter for provider " + name
                                + " API version " + conn.api_version);
  provider_options opts;
  opts.tenant = tenant.id;
  opts.provider = name;
  opts.adapter = std::move(adapter);
  opts.client = std::move(client);
  auto parse = [](const std::string& text) {
    return text.empty() ? nlohmann::json{} : nlohmann::json::parse(text);
  };
  opts.create_templates
    = {parse(conn.customer_defaults), parse(conn.invoice_defaults)};
  opts.buckets = [cfg, &tenant, kind = conn.provider](std::string_view ep) {
    return buckets_for(*cfg, tenant, kind, ep);
  };
  opts.limiter = [dir] {
    return dir->get<rate_limiter_actor>(limiter_name);
  };
  opts.tokens = [dir] {
    return dir->get<token_service_actor>(token_service_name);
  };
  opts.dir = dir;
  auto child = provider_child_name(tenant.id, name);
  return {child, [opts, dir, child](caf::actor_system& sys) {
            auto hdl = sys.spawn(provider_connection, opts);
            dir->put(child, hdl);
            return caf::actor_cast<caf::actor>(hdl);
          }};
}

} // namespace

std::string provider_child_name(std::string_view tenant,
                                std::string_view provider) {
  return "provider/" + std::string{tenant} + "/" + std::string{provider};
}

child_spec
rate_limiter_child(std::shared_ptr<actor_directory> dir,
                   std::map<std::string, caf::timespan> predecessor_age) {
  auto ages = std::make_shared<std::map<std::string, caf::timespan>>(
    std::move(predecessor_age));
  return {"rate_limiter", [dir, ages](caf::actor_system& sys) {
            auto hdl = sys.spawn(reporting_rate_limiter_after, dir, *ages);
            // Any later start is a restart after a crash.
            for (auto name : provider::known_providers())
              (*ages)[std::string{name}] = caf::timespan{0};
            return recorded(*dir, limiter_name, std::move(hdl));
          }};
}

std::vector<child_spec> connection_children(
  std::shared_ptr<const config::node_config> cfg, std::shared_ptr<pg::pool> db,
  std::shared_ptr<http::client> client, std::shared_ptr<actor_directory> dir) {
  std::vector<child_spec> out;
  out.push_back(token_service_child(cfg, std::move(db), client, dir));
  for (const auto& tenant : cfg->tenants)
    for (const auto& conn : tenant.connections)
      if (conn.enabled)
        out.push_back(provider_child(cfg, tenant, conn, client, dir));
  return out;
}

} // namespace ledgerd
