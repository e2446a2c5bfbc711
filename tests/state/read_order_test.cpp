#include "state/read_order.hpp"

#include <catch2/catch.hpp>

using ledgerd::state::order_of;
using ledgerd::state::read_order;
using ledgerd::state::read_span;

namespace {

// The base came from a read asked at 2.0 s and answered at 2.5 s.
constexpr read_span base{2'000'000, 2'500'000};

} // namespace

TEST_CASE("a read answered before the base's read was asked is older") {
  CHECK(order_of({1'000'000, 1'999'999}, base) == read_order::older);
}

TEST_CASE("a read asked after the base's read was answered is newer") {
  CHECK(order_of({2'500'001, 2'600'000}, base) == read_order::newer);
}

TEST_CASE("reads that overlap are not ordered") {
  // Asked before the base's answer, answered after its asking: the slow
  // answer of a read that began first, or one that began meanwhile.
  CHECK(order_of({1'000'000, 6'000'000}, base) == read_order::overlapping);
  CHECK(order_of({2'100'000, 2'200'000}, base) == read_order::overlapping);
  CHECK(order_of({2'000'000, 2'000'001}, base) == read_order::overlapping);
  CHECK(order_of({2'500'000, 2'700'000}, base) == read_order::overlapping);
}

TEST_CASE("an unknown time orders nothing: the read is applied as before") {
  // A base from before ledgerd kept the times, or a record no call carried.
  CHECK(order_of({1'000'000, 1'100'000}, {}) == read_order::newer);
  CHECK(order_of({}, base) == read_order::newer);
  CHECK(order_of({3'000'000, 0}, base) == read_order::newer);
}

TEST_CASE("the call behind the base is not made again") {
  // A create's answer links the record and is merged next (push adopt).
  CHECK(order_of(base, base) == read_order::newer);
}
