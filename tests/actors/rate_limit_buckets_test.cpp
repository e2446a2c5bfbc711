#include "actors/rate_limit_buckets.hpp"
#include "config/load_config.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace ledgerd;

TEST_CASE("buckets follow the provider's counting and the config's limits") {
  auto loaded = config::load_config(std::string{LEDGERD_SOURCE_DIR}
                                    + "/config/ledgerd.example.toml");
  REQUIRE(loaded.ok());
  const auto& cfg = loaded.config();
  const auto* acme = cfg.find_tenant("acme");
  const auto* nordvik = cfg.find_tenant("nordvik");
  REQUIRE(acme);
  REQUIRE(nordvik);
  // Fortnox: per client and tenant; acme overrides the limit to 24.
  auto fortnox
    = buckets_for(cfg, *acme, config::provider_kind::fortnox, "invoices");
  REQUIRE(fortnox.size() == 1);
  CHECK(fortnox[0].key == "fortnox/sim-fortnox-client/acme");
  CHECK(fortnox[0].limit == 24);
  CHECK(fortnox[0].window == caf::timespan{5s});
  CHECK(fortnox[0].margin == caf::timespan{20ms});
  CHECK_FALSE(fortnox[0].adaptive);
  // Visma: per client and endpoint, learned at run time.
  auto visma
    = buckets_for(cfg, *nordvik, config::provider_kind::visma, "customers");
  REQUIRE(visma.size() == 1);
  CHECK(visma[0].key == "visma/sim-visma-client/customers");
  CHECK(visma[0].limit == 600);
  CHECK(visma[0].window == caf::timespan{60s});
  CHECK(visma[0].adaptive);
  // A tenant without that provider is a clear error.
  CHECK_THROWS_WITH(
    buckets_for(cfg, *acme, config::provider_kind::visma, "customers"),
    Catch::Contains("has no visma connection"));
}
