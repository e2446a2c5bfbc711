// Dedup keys of sync jobs (actors/sync_env.hpp): jobs with the same key
// merge while one is active, so a key must name exactly the work.
#include "actors/sync_env.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace ledgerd;

namespace {

std::vector<std::string> ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i)
    out.push_back(std::to_string(1000 + i));
  return out;
}

} // namespace

TEST_CASE("a reconciliation's pull key names every id of its chunk") {
  auto key = [](const std::vector<std::string>& xs) {
    return reconcile_pull_key("acme", "fortnox", "customer", xs);
  };
  // The same chunk enqueued again merges with the queued one.
  CHECK(key(ids(0, 20)) == key(ids(0, 20)));
  // Chunks of two runs that start with the same id but hold other ids (a
  // later run found more suspects) are two jobs: merging them would drop
  // the second's ids.
  auto later = ids(0, 10);
  later.push_back("9999");
  CHECK(key(ids(0, 20)) != key(ids(0, 10)));
  CHECK(key(ids(0, 11)) != key(later));
  // Every chunk of a large reconciliation gets its own key.
  std::set<std::string> keys;
  for (int i = 0; i < 2000; i += 20)
    keys.insert(key(ids(i, i + 20)));
  CHECK(keys.size() == 100);
  // Keys stay within the tenant, connection and entity.
  CHECK(key(ids(0, 3)).starts_with("acme:fortnox:pull:customer:reconcile:3:"));
  CHECK(reconcile_pull_key("acme", "visma", "customer", ids(0, 3))
        != key(ids(0, 3)));
}

TEST_CASE("the customer-link cache forgets a link it is told is gone") {
  customer_link_cache cache{100};
  cache.remember("acme", "fortnox", {{"17", "local-a"}, {"18", "local-b"}});
  CHECK(cache.known("acme", "fortnox", {"17", "18", "19"}).size() == 2);
  cache.forget("acme", "fortnox", "17");
  CHECK(cache.known("acme", "fortnox", {"17", "18"})
        == std::map<std::string, std::string>{{"18", "local-b"}});
  // Another tenant's or connection's entry of the same remote id stays.
  cache.remember("other", "fortnox", {{"18", "local-c"}});
  cache.forget("acme", "fortnox", "18");
  CHECK(cache.known("other", "fortnox", {"18"}).size() == 1);
  CHECK(cache.known("acme", "fortnox", {"18"}).empty());
}
