#include "state/read_check.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd::state;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::sys_seconds{} + 1000h;

/// The list of changes a provider answers: the records changed since
/// `bound`, given each record's last change.
std::set<std::string>
listed(const std::map<std::string, std::chrono::sys_seconds>& changes,
       std::chrono::sys_seconds bound) {
  std::set<std::string> out;
  for (const auto& [id, at] : changes)
    if (at >= bound)
      out.insert(id);
  return out;
}

/// Runs lists until decided or `max_lists`; returns the records to fetch.
std::set<std::string>
run(read_check& check,
    const std::map<std::string, std::chrono::sys_seconds>& changes,
    int max_lists) {
  std::set<std::string> all;
  for (const auto& [id, bound] : check.pending)
    all.insert(id);
  while (!check.done() && check.lists < max_lists) {
    auto bound = check.next_bound();
    check.apply(bound, listed(changes, bound));
  }
  std::set<std::string> fetch;
  for (const auto& id : all)
    if (!check.current.contains(id))
      fetch.insert(id);
  return fetch;
}

} // namespace

TEST_CASE("a quiet poll decides every read with one list", "[read_check]") {
  read_check check;
  std::map<std::string, std::chrono::sys_seconds> changes;
  for (int i = 0; i < 50; ++i) {
    auto id = std::to_string(i);
    check.pending[id] = t0 + std::chrono::seconds{i / 5};
    changes[id] = t0 - 60s; // long before every read
  }
  CHECK(check.next_bound() == t0);
  CHECK(run(check, changes, 4).empty());
  CHECK(check.lists == 1);
  CHECK(check.current.size() == 50);
}

TEST_CASE("a record changed since its read is fetched, the others are not",
          "[read_check]") {
  read_check check;
  std::map<std::string, std::chrono::sys_seconds> changes;
  for (int i = 0; i < 20; ++i) {
    auto id = std::to_string(i);
    check.pending[id] = t0 + std::chrono::seconds{i};
    changes[id] = t0 - 60s;
  }
  changes["7"] = t0 + 30s;  // after every read
  changes["12"] = t0 + 12s; // at its own bound
  changes["15"] = t0 + 14s; // before its own bound: current
  CHECK(run(check, changes, 8) == std::set<std::string>{"7", "12"});
}

TEST_CASE("a burst of edits before a long scan is decided in a few lists",
          "[read_check]") {
  // 60 records edited at t0, read over the next 12 s: the bound of each
  // read is its second. Those with a bound after the edit are current.
  read_check check;
  std::map<std::string, std::chrono::sys_seconds> changes;
  for (int i = 0; i < 60; ++i) {
    auto id = std::to_string(i);
    check.pending[id] = t0 - 5s + std::chrono::seconds{i / 5};
    changes[id] = t0;
  }
  auto fetch = run(check, changes, 4);
  CHECK(check.done());
  std::set<std::string> expected;
  for (int i = 0; i < 30; ++i) // bounds t0 - 5 s .. t0
    expected.insert(std::to_string(i));
  CHECK(fetch == expected);
  // One list per bound (the earliest first) would have decided 20 of them.
}

TEST_CASE("records left undecided by the last list allowed are fetched",
          "[read_check]") {
  read_check check;
  std::map<std::string, std::chrono::sys_seconds> changes;
  for (int i = 0; i < 64; ++i) {
    auto id = std::to_string(i);
    check.pending[id] = t0 + std::chrono::seconds{i};
    changes[id] = t0 + std::chrono::seconds{i}; // each at its own bound
  }
  auto fetch = run(check, changes, 2);
  CHECK(fetch.size() == 64);
  CHECK(check.current.empty());
}
