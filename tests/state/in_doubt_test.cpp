#include "state/in_doubt.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace std::chrono_literals;
using namespace ledgerd::state;

namespace {

const std::string me = "6f1c2a9e-0000-4000-8000-000000000001";
const std::string other = "6f1c2a9e-0000-4000-8000-000000000002";

in_doubt_decision decide(const std::vector<in_doubt_candidate>& found,
                         std::chrono::milliseconds age = 60s) {
  return resolve_in_doubt(me, found, age, 10s);
}

} // namespace

TEST_CASE("in doubt: the record carrying our reference exactly is adopted") {
  // A realistic lookup: foreign records without a reference, a substring
  // match, another local record's, and ours in the middle.
  std::vector<in_doubt_candidate> found{
    {"101", "", ""}, {"102", me + "-copy", ""}, {"103", other, other},
    {"104", me, ""}, {"105", "x" + me, ""},
  };
  auto d = decide(found);
  CHECK(d.action == in_doubt_action::adopt);
  CHECK(d.remote_id == "104");
  CHECK(d.note.empty());
}

TEST_CASE("in doubt: a record already linked to us is adopted again") {
  auto d = decide({{"7", me, me}});
  CHECK(d.action == in_doubt_action::adopt);
  CHECK(d.remote_id == "7");
}

TEST_CASE("in doubt: a record linked to another local id is never adopted") {
  // Someone copied our reference onto a record that is someone else's.
  auto d = decide({{"9", me, other}});
  CHECK(d.action == in_doubt_action::create_again);
  CHECK(d.remote_id.empty());
  CHECK(d.note.find("linked to other local records") != std::string::npos);
  // ... and with an adoptable one too: that one, noted.
  d = decide({{"9", me, other}, {"10", me, ""}});
  CHECK(d.action == in_doubt_action::adopt);
  CHECK(d.remote_id == "10");
  CHECK_FALSE(d.note.empty());
}

TEST_CASE("in doubt: duplicates are noted, the first is adopted") {
  auto d = decide({{"20", me, ""}, {"21", me, ""}, {"22", me, ""}});
  CHECK(d.action == in_doubt_action::adopt);
  CHECK(d.remote_id == "20");
  CHECK(d.note.find("2 duplicate(s)") != std::string::npos);
}

TEST_CASE("in doubt: nothing found is believed only once the write settled") {
  std::vector<in_doubt_candidate> foreign{{"1", "", ""}, {"2", other, ""}};
  auto young = decide(foreign, 3s);
  CHECK(young.action == in_doubt_action::wait);
  CHECK(young.wait == 7s);
  CHECK(decide({}, 9999ms).wait == 1ms);
  CHECK(decide({}, 10s).action == in_doubt_action::create_again);
  CHECK(decide(foreign, 1h).action == in_doubt_action::create_again);
  // An unknown age (max) never waits.
  CHECK(decide({}, std::chrono::milliseconds::max()).action
        == in_doubt_action::create_again);
}

TEST_CASE("in doubt: decisions print for the log") {
  std::ostringstream os;
  os << decide({{"20", me, ""}, {"21", me, ""}});
  CHECK(os.str().find("adopt 20") != std::string::npos);
  os.str("");
  os << decide({}, 1s);
  CHECK(os.str() == "in_doubt_decision{wait wait=9000ms}");
}
