// A provider whose clock is off ours (ledgerd-sim quirk clock_offset_s).
// Visma's change times are on its clock and last_write_wins compares them
// with local change times on ours: read as they are, a provider five
// minutes behind makes its later edit look older and loses it, and one
// five minutes ahead makes its older edit win. ledgerd moves them onto its
// own clock by the Date of the answer that carried them
// (state/clock_offset.hpp).
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ledgerd;
using namespace ledgerd::test;

namespace {

struct skewed_visma : sync_fixture {
  std::vector<std::string> ids;

  skewed_visma() {
    seed("visma", "nordvik", 6, 0);
    pull("nordvik", "visma", "customer");
    settle();
    for (const auto& c : remote("visma", "nordvik", "customers"))
      ids.push_back(c.at("id"));
  }

  void offset(int seconds) {
    admin("POST", "/sim/quirks", {{"clock_offset_s", std::to_string(seconds)}});
  }

  void edit_remote(size_t i, const std::string& email) {
    admin("PUT", "/sim/tenants/visma/nordvik/customers/" + ids.at(i),
          {{"EmailAddress", email}});
  }

  /// A local edit made `seconds_ago` (the node did not see it yet: say it
  /// was down), so that the two edits' true order is known.
  void edit_local(size_t i, const std::string& email, int seconds_ago) {
    sql("UPDATE ledger.customers SET email = '" + email
        + "', updated_at = now() - interval '" + std::to_string(seconds_ago)
        + " seconds' WHERE id = '" + local_id_of(*this, "customer", ids.at(i))
        + "'");
  }

  std::string remote_email(size_t i) {
    auto r = admin("GET", "/sim/tenants/visma/nordvik/customers/" + ids.at(i));
    auto data = r.is_array() ? r.at(0).at("data") : r.at("data");
    return data.value("EmailAddress", "");
  }

  std::string local_email(size_t i) {
    return sql("SELECT email FROM ledger.customers WHERE id = '"
               + local_id_of(*this, "customer", ids.at(i)) + "'");
  }
};

} // namespace

TEST_CASE_METHOD(skewed_visma,
                 "Visma five minutes behind: its later edit still wins "
                 "last_write_wins",
                 "[sync][clock]") {
  offset(-300);
  // True order: the local edit 10 s ago, the remote one now.
  edit_remote(0, "later-remote@example.se");
  edit_local(0, "earlier-local@example.se", 10);
  settle();
  INFO(jobs_summary());
  CHECK(remote_email(0) == "later-remote@example.se");
  CHECK(local_email(0) == "later-remote@example.se");
  CHECK(count("failed") == 0);
  CHECK(sql("SELECT count(*) FROM ledgerd.conflicts") == "0");
}

TEST_CASE_METHOD(skewed_visma,
                 "Visma five minutes ahead: its older edit loses "
                 "last_write_wins",
                 "[sync][clock]") {
  offset(300);
  // True order: the remote edit first, the local one 3 s later (now,
  // backdated by nothing).
  edit_remote(1, "earlier-remote@example.se");
  std::this_thread::sleep_for(std::chrono::seconds{3});
  edit_local(1, "later-local@example.se", 0);
  settle();
  INFO(jobs_summary());
  CHECK(remote_email(1) == "later-local@example.se");
  CHECK(local_email(1) == "later-local@example.se");
  CHECK(count("failed") == 0);
}
