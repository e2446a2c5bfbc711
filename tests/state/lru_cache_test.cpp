#include "state/lru_cache.hpp"

#include <catch2/catch.hpp>

#include <string>

using ledgerd::state::lru_cache;

TEST_CASE("an LRU cache returns what was put and nothing else", "[lru]") {
  lru_cache<std::string, int> c{3};
  CHECK_FALSE(c.get("a"));
  c.put("a", 1);
  c.put("b", 2);
  CHECK(c.get("a") == 1);
  CHECK(c.get("b") == 2);
  c.put("a", 10);
  CHECK(c.get("a") == 10);
  CHECK(c.size() == 2);
}

TEST_CASE("a full LRU cache forgets the least recently used entry", "[lru]") {
  lru_cache<std::string, int> c{2};
  c.put("a", 1);
  c.put("b", 2);
  CHECK(c.get("a") == 1); // b is now the oldest
  c.put("c", 3);
  CHECK(c.size() == 2);
  CHECK_FALSE(c.get("b"));
  CHECK(c.get("a") == 1);
  CHECK(c.get("c") == 3);
  // Replacing counts as a use as well.
  c.put("a", 4);
  c.put("d", 5);
  CHECK_FALSE(c.get("c"));
  CHECK(c.get("a") == 4);
}

TEST_CASE("an erased LRU entry is gone and frees its slot", "[lru]") {
  lru_cache<int, int> c{1};
  c.put(1, 1);
  c.erase(1);
  c.erase(2);
  CHECK(c.size() == 0);
  c.put(2, 2);
  CHECK(c.get(2) == 2);
  CHECK_THROWS_AS((lru_cache<int, int>{0}), std::invalid_argument);
}
